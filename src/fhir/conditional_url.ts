/**
 * Conditional-update URLs: `{Type}?identifier={system}|{value}` (FHIR R4
 * §3.1.0.4.3, a conditional update on a search by token).
 *
 * @module
 */

/**
 * The URL of a conditional update on a business identifier.
 *
 * The whole token `system|value` is percent-encoded with
 * `encodeURIComponent`, so `:` becomes `%3A` and `|` becomes `%7C`: a search
 * parameter value is a URL query component, and servers decode it before
 * splitting the token at `|` (FHIR R4 §3.1.1.4.1). Decoding it once gives
 * back the token exactly, whatever characters the value holds.
 *
 * @example
 * ```ts
 * conditionalUrl("Patient", "urn:oid:2.16.578.1.12.4.1.4.1", "23907640450");
 * // "Patient?identifier=urn%3Aoid%3A2.16.578.1.12.4.1.4.1%7C23907640450"
 * ```
 */
export function conditionalUrl(
  resourceType: string,
  system: string,
  value: string,
): string {
  return `${resourceType}?identifier=${
    encodeURIComponent(`${system}|${value}`)
  }`;
}
