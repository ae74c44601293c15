/**
 * Organization numbers (organisasjonsnummer) from Enhetsregisteret: nine
 * digits, the last a mod-11 check digit with weights 3 2 7 6 5 4 3 2. Exports
 * often write them grouped with spaces, "948 554 062".
 *
 * @module
 */

const WEIGHTS = [3, 2, 7, 6, 5, 4, 3, 2];

/** The outcome of {@linkcode parseOrganizationNumber}. */
export type OrganizationNumberResult =
  | { ok: true; value: string }
  | { ok: false; reason: string };

/**
 * Normalize and check an organization number. Spaces (including non-breaking
 * ones) and dots between digit groups are removed; anything else is refused.
 *
 * @example
 * ```ts
 * parseOrganizationNumber("948 554 062"); // { ok: true, value: "948554062" }
 * ```
 */
export function parseOrganizationNumber(
  input: string,
): OrganizationNumberResult {
  const value = input.replace(/[\s\u00a0.]/g, "");
  if (value.length === 0) {
    return { ok: false, reason: "organization number is missing" };
  }
  if (!/^\d{9}$/.test(value)) {
    return {
      ok: false,
      reason: "organization number must have 9 digits",
    };
  }
  if (organizationCheckDigit(value) !== Number(value[8])) {
    return {
      ok: false,
      reason: "organization number has a wrong check digit",
    };
  }
  return { ok: true, value };
}

/** The mod-11 check digit for the first eight digits, or -1 if none exists. */
export function organizationCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += WEIGHTS[i] * Number(digits[i]);
  const rest = 11 - (sum % 11);
  if (rest === 11) return 0;
  return rest === 10 ? -1 : rest;
}
