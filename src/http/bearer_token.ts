/**
 * Bearer tokens for callers that cannot sign: `Authorization: Bearer <token>`
 * against a list of active tokens. Both sides are hashed with SHA-256 and the
 * digests compared in constant time, so neither a token's length nor its
 * first differing byte shows in the timing. Unlike signatures, a token gives
 * no replay protection: use it over TLS only.
 *
 * @module
 */

const encoder = new TextEncoder();

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", encoder.encode(text)),
  );
}

/** Compare two equal-length byte arrays without an early exit. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Build a checker; it answers the index of the matching token, or -1. */
export function createBearerVerifier(tokens: readonly string[]) {
  const digests = Promise.all(tokens.map(digest));
  return async function verify(authorization: string | undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (!match) return -1;
    const given = await digest(match[1]);
    let found = -1;
    // Every token is compared, so the position of a match does not show.
    for (const [index, known] of (await digests).entries()) {
      if (timingSafeEqual(given, known) && found === -1) found = index;
    }
    return found;
  };
}
