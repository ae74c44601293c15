/**
 * The rules a member row must pass before it is sent.
 *
 * Every rule is checked, so a row with a bad national id and a bad date gets
 * both problems at once. Errors drop the row; warnings keep it.
 *
 * | rule | code | severity |
 * | --- | --- | --- |
 * | national id, organization number, start present | missing-field | error |
 * | national id passes the check digits (2032 rule included) | invalid-national-id | error |
 * | no synthetic Test Norge id unless allowed | synthetic-id-in-production | error |
 * | a 10-digit id made valid by a leading zero | restored-leading-zero | warning |
 * | organization number: 9 digits, mod-11 | invalid-organization-number | error |
 * | dates readable (see dates.ts) | invalid-date | error |
 * | end date present, or a default end given | missing-end-date | error |
 * | end not before start | end-before-start | error |
 *
 * @module
 */

import { maskIdsInText, maskNationalId } from "../identifiers/mask.ts";
import { parseNationalId } from "../identifiers/national_id.ts";
import { parseOrganizationNumber } from "../identifiers/organization_number.ts";
import { parseDate } from "./dates.ts";
import type { MemberField } from "./headers.ts";
import type { Cell, Member, MemberRecord } from "./member.ts";
import type { Problem, ProblemCode, Severity } from "./problem.ts";
import { memo } from "../memo.ts";

/** Options for {@linkcode validateMember}. */
export interface ValidateMemberOptions {
  /**
   * Accept synthetic Test Norge ids (month + 80). False in production.
   */
  allowSynthetic: boolean;
  /**
   * End date (`YYYY-MM-DD` or any form dates.ts reads) for rows without one.
   * Without it, a row with no end date is an error.
   */
  defaultEnd?: string;
}

/** The outcome of {@linkcode validateMember}. */
export type ValidationResult =
  | { ok: true; member: Member; warnings: Problem[] }
  | { ok: false; problems: Problem[] };

// An export writes the same few dates and organization numbers on most rows.
const startDates = memo(parseDate, 1024);
const endDates = memo(parseDate, 1024);
const organizationNumbers = memo(parseOrganizationNumber, 1024);

/** Column names used in problems when the file had no such column or key. */
const FIELD_LABELS: Record<MemberField, string> = {
  nationalId: "nationalId",
  organizationNumber: "organizationNumber",
  start: "start",
  end: "end",
};

/**
 * Check one member row. Problems carry the row, the file's own column name
 * and the offending value, national ids masked.
 *
 * Throws `RangeError` when `defaultEnd` is not a valid date. To check many
 * rows with the same options, make one {@linkcode memberValidator}.
 *
 * @example
 * ```ts
 * const result = validateMember(record, { allowSynthetic: false });
 * if (!result.ok) problems.push(...result.problems);
 * ```
 */
export function validateMember(
  record: MemberRecord,
  options: ValidateMemberOptions,
): ValidationResult {
  const { allowSynthetic, defaultEnd } = options;
  const parsed = defaultEnd === undefined ? undefined : parseDate(defaultEnd);
  if (parsed && !parsed.ok) throw badDefaultEnd(defaultEnd!, parsed.reason);
  return check(record, allowSynthetic, parsed?.value);
}

/**
 * {@linkcode validateMember} with its options read once, for checking a
 * whole export: the default end date is parsed once, not per row. Each call
 * throws `RangeError` when `defaultEnd` is not a valid date, as
 * `validateMember` does.
 *
 * @example
 * ```ts
 * const validate = memberValidator({ allowSynthetic: false });
 * for (const record of records) validate(record);
 * ```
 */
export function memberValidator(
  options: ValidateMemberOptions,
): (record: MemberRecord) => ValidationResult {
  const { allowSynthetic, defaultEnd } = options;
  const parsed = defaultEnd === undefined ? undefined : parseDate(defaultEnd);
  if (parsed && !parsed.ok) {
    return () => {
      throw badDefaultEnd(defaultEnd!, parsed.reason);
    };
  }
  const fallbackEnd = parsed?.value;
  return (record) => check(record, allowSynthetic, fallbackEnd);
}

function badDefaultEnd(defaultEnd: string, reason: string): RangeError {
  return new RangeError(`defaultEnd "${defaultEnd}" is not a date: ${reason}`);
}

function check(
  record: MemberRecord,
  allowSynthetic: boolean,
  fallbackEnd: string | undefined,
): ValidationResult {
  const { row } = record;
  const problems: Problem[] = [];

  // National id.
  let nationalId: Member["nationalId"] | undefined;
  let idKind: Member["idKind"] | undefined;
  let idSystem: string | undefined;
  if (!hasValue(record.nationalId)) {
    problems.push(
      problemOf(
        record,
        "nationalId",
        "missing-field",
        "national id is missing",
      ),
    );
  } else {
    const parsed = parseNationalId(record.nationalId.value, {
      allowSynthetic: true,
    });
    if (!parsed.ok) {
      problems.push(
        problemOf(record, "nationalId", "invalid-national-id", parsed.reason),
      );
    } else if (parsed.id.synthetic && !allowSynthetic) {
      problems.push(
        problemOf(
          record,
          "nationalId",
          "synthetic-id-in-production",
          "synthetic Test Norge id (month + 80) is not accepted in production",
        ),
      );
    } else {
      ({ value: nationalId, kind: idKind, system: idSystem } = parsed.id);
      if (parsed.id.restoredLeadingZero) {
        problems.push(
          problemOf(
            record,
            "nationalId",
            "restored-leading-zero",
            "national id had 10 digits; a leading zero (dropped by a spreadsheet) was restored",
            "warning",
          ),
        );
      }
    }
  }

  // Organization number.
  let organizationNumber: string | undefined;
  if (!hasValue(record.organizationNumber)) {
    problems.push(
      problemOf(
        record,
        "organizationNumber",
        "missing-field",
        "organization number is missing",
      ),
    );
  } else {
    const parsed = organizationNumbers(record.organizationNumber.value);
    if (parsed.ok) organizationNumber = parsed.value;
    else {
      problems.push(
        problemOf(
          record,
          "organizationNumber",
          "invalid-organization-number",
          parsed.reason,
        ),
      );
    }
  }

  // Membership period.
  let start: string | undefined;
  if (!hasValue(record.start)) {
    problems.push(
      problemOf(
        record,
        "start",
        "missing-field",
        "membership start date is missing",
      ),
    );
  } else {
    const parsed = startDates(record.start.value);
    if (parsed.ok) start = parsed.value;
    else {
      const reason = `start date: ${parsed.reason}`;
      problems.push(problemOf(record, "start", "invalid-date", reason));
    }
  }

  let end: string | undefined;
  if (!hasValue(record.end)) {
    if (fallbackEnd !== undefined) end = fallbackEnd;
    else {
      problems.push(
        problemOf(
          record,
          "end",
          "missing-end-date",
          "membership end date is missing, and no default end date was given",
        ),
      );
    }
  } else {
    const parsed = endDates(record.end.value);
    if (parsed.ok) end = parsed.value;
    else {
      const reason = `end date: ${parsed.reason}`;
      problems.push(problemOf(record, "end", "invalid-date", reason));
    }
  }

  // ISO dates compare correctly as strings.
  if (start !== undefined && end !== undefined && end < start) {
    problems.push(
      problemOf(
        record,
        "end",
        "end-before-start",
        `membership ends (${end}) before it starts (${start})`,
      ),
    );
  }

  const warnings = problems.length === 0
    ? problems
    : problems.filter((p) => p.severity === "warning");
  if (
    problems.length > warnings.length || nationalId === undefined ||
    idKind === undefined || idSystem === undefined ||
    organizationNumber === undefined || start === undefined ||
    end === undefined
  ) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    member: {
      row,
      nationalId,
      idKind,
      idSystem,
      organizationNumber,
      start,
      end,
    },
    warnings,
  };
}

/** A problem with one field of a row, its value masked. */
function problemOf(
  record: MemberRecord,
  field: MemberField,
  code: ProblemCode,
  reason: string,
  severity: Severity = "error",
): Problem {
  const cell = record[field];
  const value = cell?.value ?? "";
  return {
    row: record.row,
    column: cell?.column ?? FIELD_LABELS[field],
    // A national id typed into another column is masked there too.
    value: field === "nationalId"
      ? maskNationalId(value)
      : maskIdsInText(value),
    reason,
    code,
    severity,
  };
}

function hasValue(cell: Cell | undefined): cell is Cell {
  return cell !== undefined && cell.value.trim() !== "";
}
