/**
 * Operator passwords, kept as PBKDF2-SHA-256 hashes (Web Crypto), never as
 * text: `pbkdf2-sha256$<iterations>$<salt>$<hash>`, salt and hash in
 * base64url. Make one with `deno task operator-password NAME` (reads the
 * password from standard input).
 *
 * @module
 */

/** OWASP's 2023 figure for PBKDF2-HMAC-SHA-256. */
export const DEFAULT_ITERATIONS = 600_000;
const PREFIX = "pbkdf2-sha256";
const HASH_BYTES = 32;

const encoder = new TextEncoder();

/** A parsed password hash. */
export interface PasswordHash {
  iterations: number;
  salt: Uint8Array<ArrayBuffer>;
  hash: Uint8Array<ArrayBuffer>;
}

/** Hash a password with a fresh random salt. */
export async function hashPassword(
  password: string,
  options: { iterations?: number; salt?: Uint8Array<ArrayBuffer> } = {},
): Promise<string> {
  const {
    iterations = DEFAULT_ITERATIONS,
    salt = crypto.getRandomValues(new Uint8Array(16)),
  } = options;
  if (!Number.isInteger(iterations) || iterations < 1000) {
    throw new RangeError(
      `iterations must be a whole number of at least 1000, got ${iterations}`,
    );
  }
  const hash = await derive(password, salt, iterations);
  return [PREFIX, iterations, base64url(salt), base64url(hash)].join("$");
}

/**
 * Parse `pbkdf2-sha256$N$salt$hash`; `undefined` when it is not one (the
 * caller names the variable; the text itself is never echoed).
 */
export function parsePasswordHash(text: string): PasswordHash | undefined {
  const parts = text.split("$");
  if (parts.length !== 4 || parts[0] !== PREFIX) return undefined;
  const iterations = Number(parts[1]);
  if (!Number.isInteger(iterations) || iterations < 1000) return undefined;
  const salt = fromBase64url(parts[2]);
  const hash = fromBase64url(parts[3]);
  if (!salt || !hash || salt.length < 8 || hash.length !== HASH_BYTES) {
    return undefined;
  }
  return { iterations, salt, hash };
}

/** Whether `password` matches `stored`, compared in constant time. */
export async function verifyPassword(
  password: string,
  stored: PasswordHash,
): Promise<boolean> {
  const hash = await derive(password, stored.salt, stored.iterations);
  let diff = 0;
  for (let i = 0; i < HASH_BYTES; i++) diff |= hash[i] ^ stored.hash[i];
  return diff === 0;
}

async function derive(
  password: string,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(password),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    key,
    HASH_BYTES * 8,
  );
  return new Uint8Array(bits);
}

/** Bytes as base64url without padding. */
export function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url (padding optional) to bytes; `undefined` when malformed. */
export function fromBase64url(
  text: string,
): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}
