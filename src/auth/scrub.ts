/**
 * The one scrub for text that came from a server (a token endpoint's
 * `error_description`, an API's OperationOutcome) before it reaches an error
 * message, the terminal, a log or a report. A server should never echo a
 * token, a key or a national id, but its text is not ours to trust: a proxy
 * or a verbose error page may repeat the `Authorization` header or the id it
 * refused.
 *
 * @example
 * ```ts
 * scrubServerText("token Bearer eyJhbGciOiJIUzI1NiJ9.x.y for 23907640450");
 * // "token Bearer [redacted] for 239076*****"
 * ```
 *
 * @module
 */

import { maskIdsInText } from "../identifiers/mask.ts";

// Base64url JSON objects start `eyJ` ('{"'): a JWS/JWE in compact form (2-5
// dot-separated parts, the signature optional) or a bare header or payload.
// Standard base64 characters are included for a token encoded the wrong way.
const JWT_SHAPED = /eyJ[A-Za-z0-9_\-+/=]+(?:\.[A-Za-z0-9_\-+/=]*){0,4}/g;

// An Authorization value (RFC 6750 §2.1, RFC 9449 §7.1): the scheme then a
// token68. Only a value that looks like a credential (a digit or one of
// `._~+/-`, or 16 characters and more) is replaced, so that prose such as
// "a DPoP proof is required" stays readable.
const AUTHORIZATION_VALUE = /\b(Bearer|DPoP)([ \t]+)([A-Za-z0-9._~+/-]+=*)/gi;

// `access_token=...`, `"client_assertion": "..."` and the like.
const NAMED_SECRET =
  /\b(access_token|refresh_token|id_token|client_assertion|assertion)(["']?\s*[:=]\s*["']?)[^\s"'&,;]+/gi;

// The private members of an echoed JWK (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
const PRIVATE_JWK_MEMBER = /"(d|p|q|dp|dq|qi|k)"\s*:\s*"[^"]*"/g;

const PEM_BLOCK = /-----BEGIN [^-]+-----[\s\S]*?(?:-----END [^-]+-----|$)/g;

/**
 * Replace secret material in text: JWT-shaped strings (with or without the
 * signature part), `Bearer`/`DPoP` credentials, named token fields, private
 * JWK members and PEM blocks. Line breaks become spaces, and the result is
 * cut to `max` characters after the replacing, so a cut never leaves part of
 * a secret unrecognized.
 */
export function redactSecrets(text: string, max = 300): string {
  const clean = text
    .replace(PEM_BLOCK, "[redacted]")
    .replace(JWT_SHAPED, "[redacted]")
    .replace(
      AUTHORIZATION_VALUE,
      (whole, scheme: string, space: string, value: string) =>
        looksLikeCredential(value) ? `${scheme}${space}[redacted]` : whole,
    )
    .replace(NAMED_SECRET, "$1$2[redacted]")
    .replace(PRIVATE_JWK_MEMBER, '"$1":"[redacted]"')
    .replace(/[\r\n]+/g, " ");
  return cut(clean, max);
}

/**
 * Make a server's text safe to show: {@linkcode redactSecrets}, then every
 * national id masked (`maskIdsInText`), then cut to `max` characters. Every
 * path that puts server text into an error message uses this.
 */
export function scrubServerText(text: string, max = 300): string {
  return cut(maskIdsInText(redactSecrets(text, Infinity)), max);
}

function looksLikeCredential(value: string): boolean {
  // A full stop after a word ends a sentence; it makes no credential.
  const core = value.replace(/\.+$/, "");
  return core.length >= 16 || /[0-9._~+/-]/.test(core);
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
