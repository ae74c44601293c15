/**
 * National ids: fødselsnummer and D-nummer.
 *
 * The check digits, the 2032 rule (the first check digit may take any of four
 * values, Skatteetaten's "nytt fødselsnummer fra 2032") and the birth date are
 * checked by `@navikt/fnrvalidator`; this module adds what Helsenorge needs on
 * top: which identifier system to send, whether the id is a synthetic Test
 * Norge id (month + 80, valid only outside production), and the repair of an
 * id whose leading zero a spreadsheet dropped.
 *
 * @module
 */

import { idnr } from "@navikt/fnrvalidator";
import { D_NUMMER_SYSTEM, FODSELSNUMMER_SYSTEM } from "./systems.ts";

/** The kind of national id, which decides its identifier system. */
export type NationalIdKind = "fnr" | "dnr";

/** A national id that passed every rule. */
export interface NationalId {
  /** The 11 digits. */
  value: string;
  kind: NationalIdKind;
  /** The identifier system to send it with. */
  system: string;
  /** A synthetic Test Norge id (month + 80). */
  synthetic: boolean;
  /** Set when the id had 10 digits and a restored leading zero made it valid. */
  restoredLeadingZero: boolean;
}

/** The outcome of {@linkcode parseNationalId}. */
export type NationalIdResult =
  | { ok: true; id: NationalId }
  | { ok: false; reason: string };

/** Options for {@linkcode parseNationalId}. */
export interface NationalIdOptions {
  /**
   * Accept synthetic Test Norge ids. They exist only in Helsenorge's test
   * environments, so this is false for `prod`.
   * @default true
   */
  allowSynthetic?: boolean;
}

/**
 * Check a national id and tell its kind and identifier system.
 *
 * @example
 * ```ts
 * const result = parseNationalId("55904713375");
 * // { ok: true, id: { kind: "dnr", system: "urn:oid:2.16.578.1.12.4.1.4.2", synthetic: true, ... } }
 * ```
 */
export function parseNationalId(
  input: string,
  options: NationalIdOptions = {},
): NationalIdResult {
  const { allowSynthetic = true } = options;
  // Most ids are written as bare digits: no need to look for spaces then.
  const bare = isDigits(input);
  const digits = bare ? input : input.replace(/[\s\u00a0]/g, "");

  if (digits.length === 0) {
    return { ok: false, reason: "national id is missing" };
  }
  if (!bare && !/^\d+$/.test(digits)) {
    return { ok: false, reason: "national id must contain only digits" };
  }

  let value = digits;
  let restoredLeadingZero = false;
  let checked: ReturnType<typeof idnr> | undefined;
  if (digits.length === 10) {
    // Spreadsheets read the id as a number and drop a leading zero (people born
    // on days 1-9). The repair is only made when the result passes every check.
    const padded = idnr("0" + digits);
    if (padded.status === "valid") {
      value = "0" + digits;
      restoredLeadingZero = true;
      checked = padded;
    }
  }
  if (value.length !== 11) {
    return {
      ok: false,
      reason: `national id must have 11 digits, found ${digits.length}`,
    };
  }

  // Checked once: the repaired id was checked above.
  const result = checked ?? idnr(value);
  if (result.status === "invalid") {
    return { ok: false, reason: describeInvalid(result.reasons) };
  }
  if (result.type === "hnr" || result.type === "dnr-and-hnr") {
    return {
      ok: false,
      reason:
        "H-nummer (hjelpenummer) is not accepted: Helsenorge needs a fødselsnummer or D-nummer",
    };
  }

  const kind: NationalIdKind = result.type === "dnr" ||
      result.type === "dnr-and-tnr"
    ? "dnr"
    : "fnr";
  const synthetic = result.type === "tnr" || result.type === "dnr-and-tnr";
  if (synthetic && !allowSynthetic) {
    return {
      ok: false,
      reason:
        "synthetic Test Norge id (month + 80) is not accepted in production",
    };
  }

  return {
    ok: true,
    id: {
      value,
      kind,
      system: kind === "dnr" ? D_NUMMER_SYSTEM : FODSELSNUMMER_SYSTEM,
      synthetic,
      restoredLeadingZero,
    },
  };
}

/** Whether `text` is ASCII digits only (true for ""). */
function isDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

function describeInvalid(reasons: readonly string[]): string {
  if (reasons.some((r) => r.includes("checksum"))) {
    return "national id has wrong check digits";
  }
  if (reasons.some((r) => r.includes("date"))) {
    return "national id does not hold a valid birth date";
  }
  return "national id is not valid";
}
