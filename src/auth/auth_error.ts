/**
 * The error every auth failure is reported with. Messages name the setting,
 * endpoint or rule that failed and never hold a token, assertion or key.
 *
 * @module
 */

import { MedlemsbroError } from "../errors.ts";

// Kept here too: callers have imported it from this module.
export { redactSecrets, scrubServerText } from "./scrub.ts";

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
