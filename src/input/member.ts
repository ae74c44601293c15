/**
 * The member record as read from an export, before and after validation.
 *
 * @module
 */

import type { NationalIdKind } from "../identifiers/national_id.ts";
import type { Problem } from "./problem.ts";

/** One cell as read: its text (trimmed) and the column name the file used. */
export interface Cell {
  value: string;
  column: string;
}

/**
 * One member row as read from a CSV, JSON or NDJSON export: the four fields
 * the API needs, each with the column it came from. Other columns (names,
 * phone numbers) are read past and never appear here.
 */
export interface MemberRecord {
  /** Line number of the row's first line (CSV, NDJSON) or 1-based position (JSON array). */
  row: number;
  nationalId?: Cell;
  organizationNumber?: Cell;
  start?: Cell;
  end?: Cell;
}

/** A member that passed every rule, ready to map to a FHIR Patient. */
export interface Member {
  row: number;
  /** The 11 digits of the national id. Never log this; use maskNationalId. */
  nationalId: string;
  idKind: NationalIdKind;
  /** Identifier system for `nationalId`. */
  idSystem: string;
  /** Nine digits, no spaces. */
  organizationNumber: string;
  /** Membership start, `YYYY-MM-DD`. */
  start: string;
  /** Membership end, `YYYY-MM-DD`. */
  end: string;
}

/**
 * One item read from a member export: a record to validate, or a problem
 * that kept a row from being read at all (an NDJSON line that is not JSON,
 * a JSON item that is not an object). Problems arrive in file order among
 * the records, so a caller reports them with the row's validation problems.
 */
export type MemberEntry =
  | { record: MemberRecord; problem?: never }
  | { problem: Problem; record?: never };
