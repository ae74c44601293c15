/**
 * DPoP proofs (RFC 9449): a JWT per request, signed with a key the client
 * holds, that binds the access token to that key. One ephemeral EC P-256 key
 * per process by default; it never leaves memory.
 *
 * @example
 * ```ts
 * const dpop = await createDpopProofer();
 * const proof = await dpop.proof({ method: "POST", url: tokenUrl });
 * ```
 *
 * @module
 */

import {
  base64url,
  calculateJwkThumbprint,
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
} from "jose";
import { publicPart } from "./keys.ts";

/** Signs DPoP proofs with one key pair. */
export interface DpopProofer {
  /** RFC 7638 thumbprint of the public key: the token's `cnf.jkt`. */
  readonly jkt: string;
  /**
   * A fresh proof for one request: `htm`, `htu` (no query or fragment),
   * `iat`, a unique `jti`, the server's `nonce` when it gave one, and `ath`
   * (hash of the access token) on calls to a resource server.
   */
  proof(request: {
    method: string;
    url: string;
    nonce?: string;
    accessToken?: string;
  }): Promise<string>;
}

/** Options for {@linkcode createDpopProofer}. */
export interface DpopProoferOptions {
  /** A key pair to use. @default a new, non-extractable EC P-256 pair */
  keyPair?: { privateKey: CryptoKey; publicKey: CryptoKey };
  /** Its algorithm. @default "ES256" */
  alg?: string;
  /** The clock, in milliseconds. @default Date.now */
  now?: () => number;
}

/** Make a DPoP proofer with its own key. */
export async function createDpopProofer(
  options: DpopProoferOptions = {},
): Promise<DpopProofer> {
  const { alg = "ES256", now = Date.now } = options;
  const keyPair = options.keyPair ?? await generateKeyPair("ES256");
  const publicJwk: JWK = publicPart(await exportJWK(keyPair.publicKey));
  const jkt = await calculateJwkThumbprint(publicJwk);

  return {
    jkt,
    async proof({ method, url, nonce, accessToken }) {
      const claims: Record<string, string> = {
        htm: method.toUpperCase(),
        htu: htu(url),
      };
      if (nonce !== undefined) claims.nonce = nonce;
      if (accessToken !== undefined) {
        claims.ath = await accessTokenHash(accessToken);
      }
      return await new SignJWT(claims)
        .setProtectedHeader({ typ: "dpop+jwt", alg, jwk: publicJwk })
        .setJti(crypto.randomUUID())
        .setIssuedAt(Math.floor(now() / 1000))
        .sign(keyPair.privateKey);
    },
  };
}

/** The `htu` of a request URL: without query and fragment (RFC 9449 §4.2). */
export function htu(url: string): string {
  const parsed = new URL(url);
  parsed.search = "";
  parsed.hash = "";
  return parsed.href;
}

/** `ath`: base64url of the SHA-256 of the access token (RFC 9449 §4.2). */
export async function accessTokenHash(accessToken: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(accessToken),
  );
  return base64url.encode(new Uint8Array(digest));
}
