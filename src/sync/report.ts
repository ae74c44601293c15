/**
 * The report of one run: counters, every problem, and the exit code that
 * tells callers how it ended. Written as JSON by `--report FILE`; its shape is
 * documented in docs/report.md.
 *
 * @module
 */

import type { Problem } from "../input/problem.ts";

/** Member counters. `read` = invalid + duplicates + stored + notConsented + failed + prepared. */
export interface MemberCounts {
  /** Data rows read from the export. */
  read: number;
  /** Rows refused by validation or by Helsenorge. */
  invalid: number;
  /** Rows for a member and organization already seen in this export. */
  duplicates: number;
  /** Rows kept with a warning (e.g. a restored leading zero). */
  warnings: number;
  /** Members Helsenorge stored. */
  stored: number;
  /** Members Helsenorge could not store: the citizen has not consented. */
  notConsented: number;
  /** Members with no usable answer after every resend. */
  failed: number;
  /** Members put in bundles but not sent (dry run). */
  prepared: number;
  /** Member calls made (batches), resends not counted. */
  batches: number;
}

export type OfferingsStatus = "sent" | "prepared" | "failed" | "skipped";

export interface OfferingsCounts {
  status: OfferingsStatus;
  organizations: number;
  locations: number;
  healthcareServices: number;
  /** Why the step failed, when it did. */
  error?: string;
}

/**
 * How a run ended, as process exit codes (documented in the README):
 * 0 all done, 1 done but some rows were rejected, 2 bad usage or unusable
 * input (nothing sent), 3 could not finish (Helsenorge unavailable or refused
 * a whole call).
 */
export const ExitCode = {
  ok: 0,
  rowsRejected: 1,
  usage: 2,
  incomplete: 3,
} as const;
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

export interface SyncReport {
  startedAt: string;
  finishedAt: string;
  environment: string;
  dryRun: boolean;
  /** Encoding and format the member export was read as. */
  input?: { format: string; encoding: string; delimiter?: string };
  offerings: OfferingsCounts;
  members: MemberCounts;
  problems: Problem[];
  /** Why the run could not finish, when it could not. */
  stoppedBecause?: string;
  exitCode: ExitCode;
}

export function emptyMemberCounts(): MemberCounts {
  return {
    read: 0,
    invalid: 0,
    duplicates: 0,
    warnings: 0,
    stored: 0,
    notConsented: 0,
    failed: 0,
    prepared: 0,
    batches: 0,
  };
}

/** The exit code a finished report deserves. */
export function exitCodeFor(
  report: Pick<SyncReport, "offerings" | "members" | "stoppedBecause">,
): ExitCode {
  if (
    report.stoppedBecause !== undefined ||
    report.offerings.status === "failed" || report.members.failed > 0
  ) {
    return ExitCode.incomplete;
  }
  if (report.members.invalid > 0) return ExitCode.rowsRejected;
  return ExitCode.ok;
}
