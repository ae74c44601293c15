/**
 * The two-step job, shared by the CLI, the webhook service and the cron jobs:
 * offerings first (one transaction), then members in batches, only once the
 * offerings were accepted.
 *
 * Members are streamed: rows are validated as they are read, put in batches
 * and sent with a bounded number of calls in flight, so memory holds a few
 * batches, not the export.
 *
 * @example
 * ```ts
 * const report = await runSync({
 *   target: clientTarget(client),
 *   offerings,
 *   members: (await readMembers({ path: "medlemmer.csv" })).entries,
 *   rules: { allowSynthetic: true },
 * });
 * ```
 *
 * @module
 */

import type { Bundle } from "fhir/r4";
import { forEachBounded } from "../batches/bounded.ts";
import { chunk } from "../batches/chunk.ts";
import { membersBundle } from "../fhir/members_bundle.ts";
import { offeringsBundle } from "../fhir/offerings_bundle.ts";
import { readEntryOutcome } from "../fhir/outcome.ts";
import type { HelsenorgeClient } from "../helsenorge/client.ts";
import { maskNationalId } from "../identifiers/mask.ts";
import { createDuplicateCheck } from "../input/duplicates.ts";
import type { Member, MemberEntry } from "../input/member.ts";
import type { Offerings } from "../input/offering.ts";
import { InputError, type Problem } from "../input/problem.ts";
import { validateMember } from "../input/validate_member.ts";
import {
  emptyMemberCounts,
  exitCodeFor,
  type MemberCounts,
  type OfferingsCounts,
  type SyncReport,
} from "./report.ts";

/**
 * Where bundles go. A real run posts them to Helsenorge; a dry run writes
 * them and answers `undefined` (nothing was sent, so there is no outcome).
 */
export interface BundleTarget {
  offerings(bundle: Bundle): Promise<Bundle | undefined>;
  members(bundle: Bundle): Promise<Bundle | undefined>;
}

/** A target that posts to Helsenorge through `client`. */
export function clientTarget(
  client: HelsenorgeClient,
  signal?: AbortSignal,
): BundleTarget {
  return {
    offerings: (bundle) => client.sendOfferings(bundle, signal),
    members: (bundle) => client.sendMembers(bundle, signal),
  };
}

/** Progress after each member batch. */
export interface SyncProgress {
  members: Readonly<MemberCounts>;
}

export interface SyncOptions {
  target: BundleTarget;
  /** Validated offerings; when given they are sent first. */
  offerings?: Offerings;
  /** Member rows; when given they are sent after the offerings. */
  members?: AsyncIterable<MemberEntry>;
  rules: {
    /** Accept synthetic Test Norge ids (false in production). */
    allowSynthetic: boolean;
    /** End date (`YYYY-MM-DD`) for rows without one; without it such rows are errors. */
    defaultEnd?: string;
  };
  /** Members per call. @default 200 */
  batchSize?: number;
  /** Member calls in flight at once. @default 2 */
  concurrency?: number;
  /** Extra rounds for members whose entry failed (5xx in the batch-response). @default 2 */
  failedEntryRounds?: number;
  /** Environment name, for the report. @default "mock" */
  environment?: string;
  dryRun?: boolean;
  input?: SyncReport["input"];
  onProgress?: (progress: SyncProgress) => void;
  /** @default () => new Date() */
  now?: () => Date;
}

/** Run the job and return its report. Never throws for row or wire problems. */
export async function runSync(options: SyncOptions): Promise<SyncReport> {
  const {
    target,
    offerings,
    members,
    rules,
    batchSize = 200,
    concurrency = 2,
    failedEntryRounds = 2,
    environment = "mock",
    dryRun = false,
    input,
    onProgress = () => {},
    now = () => new Date(),
  } = options;

  const startedAt = now().toISOString();
  const problems: Problem[] = [];
  const counts = emptyMemberCounts();
  let stoppedBecause: string | undefined;

  const offeringsCounts = offerings
    ? await sendOfferings(target, offerings)
    : skippedOfferings();
  if (offeringsCounts.status === "failed") {
    stoppedBecause =
      `offerings were not accepted, so no members were sent: ${offeringsCounts.error}`;
  }

  if (members && stoppedBecause === undefined) {
    const sender = new MemberSender(target, counts, problems, onProgress);
    const valid = validRows(members, rules, counts, problems);
    try {
      await forEachBounded(
        chunk(valid, batchSize),
        concurrency,
        (batch) => sender.send(batch),
      );
      await sender.resendFailed(batchSize, failedEntryRounds);
    } catch (error) {
      stoppedBecause = error instanceof InputError
        ? `reading the member file stopped${
          error.line ? ` at line ${error.line}` : ""
        }: ${error.message} (rows before it were sent)`
        : `member calls stopped: ${describe(error)}`;
    }
  }

  const report = {
    startedAt,
    finishedAt: now().toISOString(),
    environment,
    dryRun,
    input,
    offerings: offeringsCounts,
    members: counts,
    problems: problems.sort((a, b) => a.row - b.row),
    stoppedBecause,
  };
  return { ...report, exitCode: exitCodeFor(report) };
}

async function sendOfferings(
  target: BundleTarget,
  offerings: Offerings,
): Promise<OfferingsCounts> {
  const organizations = offerings.organizations.length;
  const counts = {
    organizations,
    locations: organizations,
    healthcareServices: offerings.organizations.reduce(
      (sum, org) => sum + org.services.length,
      0,
    ),
  };
  try {
    const { bundle } = offeringsBundle(offerings);
    const response = await target.offerings(bundle);
    return { ...counts, status: response ? "sent" : "prepared" };
  } catch (error) {
    return { ...counts, status: "failed", error: describe(error) };
  }
}

function skippedOfferings(): OfferingsCounts {
  return {
    status: "skipped",
    organizations: 0,
    locations: 0,
    healthcareServices: 0,
  };
}

/**
 * Validate rows as they stream past; yield the valid members. Problems and
 * counters are recorded on the way. A member seen twice for the same
 * organization is sent once.
 */
async function* validRows(
  entries: AsyncIterable<MemberEntry>,
  rules: SyncOptions["rules"],
  counts: MemberCounts,
  problems: Problem[],
): AsyncGenerator<Member> {
  const duplicate = createDuplicateCheck();

  for await (const entry of entries) {
    counts.read++;
    if (entry.problem) {
      counts.invalid++;
      problems.push(entry.problem);
      continue;
    }

    const result = validateMember(entry.record, rules);
    if (!result.ok) {
      counts.invalid++;
      problems.push(...result.problems);
      continue;
    }

    const { member, warnings } = result;
    const seen = duplicate(member, entry.record.nationalId?.column ?? "");
    if (seen) {
      counts.duplicates++;
      problems.push(seen);
      continue;
    }

    if (warnings.length > 0) {
      counts.warnings++;
      problems.push(...warnings);
    }
    yield member;
  }
}

/** Sends member batches and books each entry's outcome. */
class MemberSender {
  #failed: Member[] = [];

  constructor(
    private readonly target: BundleTarget,
    private readonly counts: MemberCounts,
    private readonly problems: Problem[],
    private readonly onProgress: (progress: SyncProgress) => void,
  ) {}

  async send(batch: Member[]): Promise<void> {
    const { bundle, entryMembers } = membersBundle(batch);
    this.counts.batches++;
    let response: Bundle | undefined;
    try {
      response = await this.target.members(bundle);
    } catch (error) {
      this.#bookFailed(batch, describe(error));
      throw error;
    }

    if (response === undefined) {
      this.counts.prepared += batch.length;
    } else {
      const entries = response.entry ?? [];
      entryMembers.forEach((carried, index) => {
        const outcome = readEntryOutcome(entries[index]);
        for (const member of carried) this.#book(member, outcome);
      });
    }
    this.onProgress({ members: this.counts });
  }

  /** Resend members whose entries failed, in up to `rounds` more rounds. */
  async resendFailed(batchSize: number, rounds: number): Promise<void> {
    for (let round = 1; round <= rounds && this.#failed.length > 0; round++) {
      const pending = this.#failed;
      this.#failed = [];
      for (let i = 0; i < pending.length; i += batchSize) {
        await this.send(pending.slice(i, i + batchSize));
      }
    }
    this.#bookFailed(this.#failed, "no stored answer after every resend");
    this.#failed = [];
  }

  #book(member: Member, outcome: ReturnType<typeof readEntryOutcome>): void {
    switch (outcome.kind) {
      case "stored":
        this.counts.stored++;
        return;
      case "not-consented":
        this.counts.notConsented++;
        return;
      case "invalid":
        this.counts.invalid++;
        this.problems.push({
          row: member.row,
          column: "",
          value: maskNationalId(member.nationalId),
          reason: `Helsenorge refused the member: ${outcome.reason}`,
          code: "rejected-by-helsenorge",
          severity: "error",
        });
        return;
      case "failed":
        this.#failed.push(member);
        return;
    }
  }

  #bookFailed(members: Member[], reason: string): void {
    for (const member of members) {
      this.counts.failed++;
      this.problems.push({
        row: member.row,
        column: "",
        value: maskNationalId(member.nationalId),
        reason: `not sent: ${reason}`,
        code: "send-failed",
        severity: "error",
      });
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
