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
  // Encoding `system|` and the value apart gives the same text ("|" is a
  // character of its own); the first part is the same for every member.
  // Joined, not added: V8 keeps `a + b` of 13 characters or more as a pair
  // (a cons string) that JSON.stringify has to copy out again, per member.
  return [prefixFor(resourceType, system), encodeURIComponent(value)].join("");
}

/** `{Type}?identifier={system}|` encoded, per type and system. */
const prefixes = new Map<string, Map<string, string>>();

function prefixFor(resourceType: string, system: string): string {
  let bySystem = prefixes.get(resourceType);
  if (!bySystem) {
    if (prefixes.size >= 64) prefixes.clear();
    bySystem = new Map();
    prefixes.set(resourceType, bySystem);
  }
  let prefix = bySystem.get(system);
  if (prefix === undefined) {
    if (bySystem.size >= 64) bySystem.clear();
    prefix = `${resourceType}?identifier=${encodeURIComponent(`${system}|`)}`;
    bySystem.set(system, prefix);
  }
  return prefix;
}
