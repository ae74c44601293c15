/**
 * The error every auth failure is reported with. Messages name the setting,
 * endpoint or rule that failed and never hold a token, assertion or key.
 *
 * @module
 */

import { MedlemsbroError } from "../errors.ts";

/**
 * Why authentication failed. `code` is one of:
 * - `ERR_AUTH_KEY`: the signing key is missing, unreadable or unusable.
 * - `ERR_AUTH_TOKEN_REFUSED`: the token endpoint refused the request (bad
 *   assertion, unknown client, wrong scope); `oauthError` holds its `error`.
 * - `ERR_AUTH_TOKEN_UNAVAILABLE`: the token endpoint gave no usable answer
 *   (network error, timeout, 5xx); `retryable` is true.
 */
export class AuthError extends MedlemsbroError {
  override name = "AuthError";
  /** The OAuth `error` code from the token endpoint, when it sent one. */
  readonly oauthError?: string;
  /** HTTP status of the token endpoint's answer, when there was one. */
  readonly status?: number;
  /** True when trying again later may work (the client resends then). */
  readonly retryable: boolean;

  constructor(
    code: string,
    message: string,
    fields: {
      oauthError?: string;
      status?: number;
      retryable?: boolean;
      cause?: unknown;
    } = {},
  ) {
    super(code, message, { cause: fields.cause });
    this.oauthError = fields.oauthError;
    this.status = fields.status;
    this.retryable = fields.retryable ?? false;
  }
}

const JWT_SHAPED = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*/g;

/**
 * Make text from a server safe to show: JWT-shaped strings are replaced,
 * and the text is cut to `max` characters. Servers should never echo a
 * token, but a message from elsewhere is not ours to trust.
 */
export function redactSecrets(text: string, max = 300): string {
  const clean = text.replace(JWT_SHAPED, "[redacted]")
    .replace(
      /-----BEGIN [^-]+-----[\s\S]*?(-----END [^-]+-----|$)/g,
      "[redacted]",
    )
    .replace(/[\r\n]+/g, " ");
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}
