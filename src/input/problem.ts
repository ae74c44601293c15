/**
 * Problems found in input: one per bad row or field, collected so a run can
 * report every problem at once and still send every valid member.
 *
 * @module
 */

/** How bad a problem is: an `error` drops the row, a `warning` keeps it. */
export type Severity = "error" | "warning";

/** A stable code per kind of problem, for callers that act on them. */
export type ProblemCode =
  | "missing-field"
  | "invalid-national-id"
  | "synthetic-id-in-production"
  | "restored-leading-zero"
  | "invalid-organization-number"
  | "invalid-date"
  | "missing-end-date"
  | "end-before-start"
  | "duplicate"
  | "malformed-row"
  | "rejected-by-helsenorge"
  | "send-failed";

/**
 * One problem with one row. `value` is always safe to show: national ids are
 * masked before a problem is made.
 */
export interface Problem {
  /** Line number in the file (1-based, the header is line 1), or the item's 1-based position in a JSON list. */
  row: number;
  /** The column or field as the file names it, e.g. "Medlem til". */
  column: string;
  /** The offending value, masked when it is (or may be) a national id. */
  value: string;
  reason: string;
  code: ProblemCode;
  severity: Severity;
}

/**
 * A problem with a whole input file (unreadable encoding, a required column
 * missing from the header, not JSON at all). Nothing from the file is sent.
 */
export class InputError extends Error {
  override name = "InputError";
  /** Stable code, e.g. "encoding", "missing-column", "not-json". */
  readonly code: string;
  /** The file, as given by the caller. */
  readonly source: string;
  /** Line in the file, when known. */
  readonly line?: number;

  constructor(
    code: string,
    message: string,
    options: { source: string; line?: number; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.source = options.source;
    this.line = options.line;
  }
}
