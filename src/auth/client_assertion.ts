/**
 * The signed client assertion of `private_key_jwt` client authentication
 * (RFC 7523 §2.2, OpenID Connect Core §9): a short-lived JWT that proves the
 * client holds its registered private key.
 *
 * @example
 * ```ts
 * const assertion = await createClientAssertion({
 *   clientId: "my-client",
 *   audience: "https://helseid-sts.test.nhn.no",
 *   key,
 * });
 * ```
 *
 * @module
 */

import { SignJWT } from "jose";
import type { SigningKey } from "./keys.ts";

/** `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2). */
export const JWT_BEARER_ASSERTION_TYPE =
  "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** Helsenorge and HelseID refuse assertions valid for longer than this. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 60;

/** Options for {@linkcode createClientAssertion}. */
export interface ClientAssertionOptions {
  /** Becomes both `iss` and `sub`. */
  clientId: string;
  /** `aud`: the authority (HelseID) or the token URL (Helsenorge STS). */
  audience: string;
  key: SigningKey;
  /** Seconds from `iat` to `exp`, at most 60. @default 30 */
  lifetimeSeconds?: number;
  /** The clock, in milliseconds. @default Date.now */
  now?: () => number;
  /** Makes the unique `jti`. @default crypto.randomUUID */
  jti?: () => string;
}

/**
 * Sign a fresh client assertion. Each call gets a new `jti`: servers refuse
 * one they have seen before, so an assertion is never sent twice.
 *
 * @throws {RangeError} when `lifetimeSeconds` is not 1..60.
 */
export async function createClientAssertion(
  options: ClientAssertionOptions,
): Promise<string> {
  const {
    clientId,
    audience,
    key,
    lifetimeSeconds = 30,
    now = Date.now,
    jti = () => crypto.randomUUID(),
  } = options;
  if (
    !Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 1 ||
    lifetimeSeconds > MAX_ASSERTION_LIFETIME_SECONDS
  ) {
    throw new RangeError(
      `lifetimeSeconds must be 1..${MAX_ASSERTION_LIFETIME_SECONDS}, got ${lifetimeSeconds}`,
    );
  }
  if (clientId === "") throw new TypeError("clientId must not be empty");

  const iat = Math.floor(now() / 1000);
  return await new SignJWT({})
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setJti(jti())
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + lifetimeSeconds)
    .sign(key.key);
}
