/**
 * The report of one run: counters, every problem, and the exit code that
 * tells callers how it ended. Written as JSON by `--report FILE`; its shape is
 * documented in docs/report.md.
 *
 * @module
 */

import type { BatchSizeRecord } from "../batches/adaptive.ts";
import type { Problem } from "../input/problem.ts";
import type { LatencyRecord } from "./latency.ts";

/**
 * Member counters. Every row read lands in exactly one of them:
 * `read = invalid + duplicates + stored + notConsented + failed + prepared +
 * unchanged + notDue + notSent`. `ended` counts members absent from a full
 * export, who are not rows of it.
 */
export interface MemberCounts {
  /** Data rows read from the export. */
  read: number;
  /** Rows refused by validation or by Helsenorge. */
  invalid: number;
  /** Rows for a member and organization already seen in this export. */
  duplicates: number;
  /** Rows kept with a warning (e.g. a restored leading zero); also counted elsewhere. */
  warnings: number;
  /** Members Helsenorge stored. */
  stored: number;
  /** Members Helsenorge could not store: the citizen has not consented. */
  notConsented: number;
  /** Members with no usable answer after every resend. */
  failed: number;
  /** Members put in bundles but not sent (dry run). */
  prepared: number;
  /** Members skipped because Helsenorge already holds exactly this content. */
  unchanged: number;
  /** Not-consented members skipped because their next retry is not due yet. */
  notDue: number;
  /** Valid members not sent because the run stopped (see `stoppedBecause`). */
  notSent: number;
  /** Memberships ended because the member was absent from a full export. */
  ended: number;
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
 * input (nothing sent), 3 could not finish (the member file could not be
 * read to its end, or Helsenorge refused a whole call or gave no answer),
 * 4 another run holds the lease (nothing sent).
 */
export const ExitCode = {
  ok: 0,
  rowsRejected: 1,
  usage: 2,
  incomplete: 3,
  busy: 4,
} as const;
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

export interface SyncReport {
  /** The run's id in the state store, when state is kept. */
  runId?: string;
  startedAt: string;
  finishedAt: string;
  environment: string;
  /** Where bundles went: the API base URL, or a dry-run folder. */
  destination?: string;
  dryRun: boolean;
  /** Encoding and format the member export was read as. */
  input?: { format: string; encoding: string; delimiter?: string };
  offerings: OfferingsCounts;
  members: MemberCounts;
  /** Every problem, in row order; at most `MAX_REPORT_PROBLEMS`. */
  problems: Problem[];
  /** Problems left out of `problems` past the cap (still counted above). */
  problemsOmitted: number;
  /** Things the run decided that a person should know (not errors). */
  notes?: string[];
  /** Why the run could not finish, when it could not. */
  stoppedBecause?: string;
  /**
   * Response times per step (p50, p95, p99, max, attempts over the 3 s / 10 s
   * limits), when calls were made (docs/reliability.md).
   */
  latency?: LatencyRecord;
  /** How the member batch size adapted, when members were sent. */
  batchSize?: BatchSizeRecord;
  exitCode: ExitCode;
}

/** Member counters of a run that has read nothing yet. */
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
    unchanged: 0,
    notDue: 0,
    notSent: 0,
    ended: 0,
    batches: 0,
  };
}

/** The offerings counts of a run that sent none. */
export function skippedOfferings(): OfferingsCounts {
  return {
    status: "skipped",
    organizations: 0,
    locations: 0,
    healthcareServices: 0,
  };
}

/**
 * Problems kept in memory and in the report. A million-row export full of
 * errors must not hold them all; the counters stay exact past the cap.
 */
export const MAX_REPORT_PROBLEMS = 10_000;

/** A problem list that stops growing at `max` and counts what it left out. */
export class ProblemList {
  readonly items: Problem[] = [];
  omitted = 0;

  constructor(readonly max: number = MAX_REPORT_PROBLEMS) {}

  push(...problems: Problem[]): void {
    for (const problem of problems) {
      if (this.items.length < this.max) this.items.push(problem);
      else this.omitted++;
    }
  }
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
