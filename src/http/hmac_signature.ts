/**
 * HMAC-SHA256 request signatures, the way callers sign webhook calls:
 *
 * ```
 * X-Medlemsbro-Timestamp: 1781510400                 (Unix seconds)
 * X-Medlemsbro-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
 * ```
 *
 * Several `v1=` values may be sent, comma-separated (a caller rotating its
 * secret signs with both). The check accepts any active secret, compares in
 * constant time (`crypto.subtle.verify`), and refuses a timestamp more than
 * `maxSkewSeconds` away from our clock.
 *
 * @module
 */

export const TIMESTAMP_HEADER = "x-medlemsbro-timestamp";
export const SIGNATURE_HEADER = "x-medlemsbro-signature";

const encoder = new TextEncoder();

/** Why a signature was refused (never a secret or the expected value). */
export type SignatureCheck =
  | { ok: true; secretIndex: number; signature: string; timestamp: number }
  | { ok: false; reason: "missing" | "malformed" | "stale" | "mismatch" };

export interface HmacVerifierOptions {
  /** Active secrets; any of them may have signed. */
  secrets: readonly string[];
  /** @default 300 (5 minutes) */
  maxSkewSeconds?: number;
  /** @default () => new Date() */
  now?: () => Date;
}

/** The bytes that are signed: `timestamp + "." + body`. */
export function signedPayload(timestamp: string, body: Uint8Array): Uint8Array {
  const head = encoder.encode(`${timestamp}.`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function importKey(secret: string, usage: "sign" | "verify") {
  return crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [usage],
  );
}

/**
 * Sign a body as a caller does (tests, the load run, the README's example).
 *
 * @example
 * ```ts
 * const headers = await signRequest("a-secret-of-16+chars", body, new Date());
 * await fetch(url, { method: "POST", body, headers });
 * ```
 */
export async function signRequest(
  secret: string,
  body: Uint8Array | string,
  at: Date,
): Promise<Record<string, string>> {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const timestamp = String(Math.floor(+at / 1000));
  const mac = await crypto.subtle.sign(
    "HMAC",
    await importKey(secret, "sign"),
    signedPayload(timestamp, bytes) as BufferSource,
  );
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: `v1=${toHex(new Uint8Array(mac))}`,
  };
}

/** Build a verifier for the active secrets (keys imported once). */
export function createHmacVerifier(options: HmacVerifierOptions) {
  const { secrets, maxSkewSeconds = 300, now = () => new Date() } = options;
  const keys = Promise.all(secrets.map((s) => importKey(s, "verify")));

  return async function verify(
    headers: { timestamp?: string; signature?: string },
    body: Uint8Array,
  ): Promise<SignatureCheck> {
    const { timestamp, signature } = headers;
    if (!timestamp || !signature) return { ok: false, reason: "missing" };
    if (!/^\d{1,12}$/.test(timestamp)) {
      return { ok: false, reason: "malformed" };
    }
    const candidates = signature.split(",").map((s) => s.trim())
      .filter((s) => s.startsWith("v1="))
      .map((s) => s.slice(3))
      .filter((hex) => /^[0-9a-f]{64}$/i.test(hex));
    if (candidates.length === 0 || candidates.length > 5) {
      return { ok: false, reason: "malformed" };
    }
    const skew = Math.abs(+now() / 1000 - Number(timestamp));
    if (skew > maxSkewSeconds) return { ok: false, reason: "stale" };

    const data = signedPayload(timestamp, body) as BufferSource;
    const active = await keys;
    for (const hex of candidates) {
      const mac = fromHex(hex) as BufferSource;
      for (const [index, key] of active.entries()) {
        if (await crypto.subtle.verify("HMAC", key, mac, data)) {
          return {
            ok: true,
            secretIndex: index,
            signature: hex.toLowerCase(),
            timestamp: Number(timestamp),
          };
        }
      }
    }
    return { ok: false, reason: "mismatch" };
  };
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}
