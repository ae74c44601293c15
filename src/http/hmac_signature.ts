/**
 * HMAC-SHA256 request signatures, the way callers sign webhook calls:
 *
 * ```
 * X-Medlemsbro-Timestamp: 1781510400                 (Unix seconds)
 * X-Medlemsbro-Signature: v1=<hex HMAC-SHA256(secret, "TIMESTAMP.METHOD.PATH.BODY")>
 * ```
 *
 * The signed text is the timestamp, the method in capitals, the path with
 * its query as sent (`/status`, `/webhooks/members/full/ID?x=1`) and the raw
 * body, joined by dots. Signing the method and path keeps a captured GET
 * from being valid on another route, and two different GETs in the same
 * second from having the same signature.
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

/** What a signature covers besides the timestamp. */
export interface SignedRequest {
  /** `GET`, `POST`, ...; upper-cased before signing. */
  method: string;
  /** The path and query as sent, e.g. `/webhooks/members` or `/status?x=1`. */
  path: string;
  /** The raw body; empty for a GET. */
  body?: Uint8Array | string;
}

/** The bytes that are signed: `timestamp.METHOD.path.body`. */
export function signedPayload(
  timestamp: string,
  request: SignedRequest,
): Uint8Array {
  const { method, path, body = new Uint8Array(0) } = request;
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const head = encoder.encode(
    `${timestamp}.${method.toUpperCase()}.${path}.`,
  );
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head);
  out.set(bytes, head.length);
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
 * Sign a request as a caller does (tests, the load run, the README's example).
 *
 * @example
 * ```ts
 * const path = "/webhooks/members";
 * const headers = await signRequest(
 *   "a-secret-of-16+chars",
 *   { method: "POST", path, body },
 *   new Date(),
 * );
 * await fetch(base + path, { method: "POST", body, headers });
 * ```
 */
export async function signRequest(
  secret: string,
  request: SignedRequest,
  at: Date,
): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(+at / 1000));
  const mac = await crypto.subtle.sign(
    "HMAC",
    await importKey(secret, "sign"),
    signedPayload(timestamp, request) as BufferSource,
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
    request: SignedRequest,
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

    const data = signedPayload(timestamp, request) as BufferSource;
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
