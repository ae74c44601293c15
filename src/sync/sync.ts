/**
 * The two-step job, shared by the CLI, the webhook service and the cron jobs:
 * offerings first (one transaction), then members in batches, only once the
 * offerings were accepted.
 *
 * Members are streamed: rows are validated as they are read, put in batches
 * and sent with a bounded number of calls in flight, so memory holds a few
 * batches, not the export. With a state store, only new, changed and due
 * members are sent (delta sync), and a full export ends the memberships of
 * members absent from it.
 *
 * Under faults (docs/reliability.md) the batch size adapts to Helsenorge's
 * response times, failed calls are sent again later in the run, and a
 * circuit breaker stops the run after a run of failed calls; the report
 * carries the latency record and the batch sizes used.
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
import { AdaptiveBatchSize, adaptiveChunk } from "../batches/adaptive.ts";
import { forEachBounded } from "../batches/bounded.ts";
import { offeringsBundle } from "../fhir/offerings_bundle.ts";
import type { CallObserver, HelsenorgeClient } from "../helsenorge/client.ts";
import type { MemberEntry } from "../input/member.ts";
import type { Offerings } from "../input/offering.ts";
import { saveOfferings } from "../state/offerings.ts";
import type { StateStore } from "../state/store.ts";
import { endAbsentMembers } from "./end_memberships.ts";
import { LatencyRecorder } from "./latency.ts";
import { DEFAULT_BREAKER_FAILURES, MemberSender } from "./member_sender.ts";
import {
  emptyMemberCounts,
  exitCodeFor,
  type MemberCounts,
  type OfferingsCounts,
  ProblemList,
  skippedOfferings,
  type SyncReport,
} from "./report.ts";
import { type HeldLease, inRunScope, type LeaseOptions } from "./run_scope.ts";
import {
  type MemberRules,
  type ValidationOutcome,
  validMembers,
} from "./valid_members.ts";
import { errorMessage } from "../errors.ts";

/**
 * Where bundles go. A real run posts them to Helsenorge; a dry run writes
 * them and answers `undefined` (nothing was sent, so there is no outcome).
 * A target that calls Helsenorge passes the call's events to `observe`.
 */
export interface BundleTarget {
  offerings(
    bundle: Bundle,
    observe?: CallObserver,
  ): Promise<Bundle | undefined>;
  members(bundle: Bundle, observe?: CallObserver): Promise<Bundle | undefined>;
}

/** A target that posts to Helsenorge through `client`. */
export function clientTarget(
  client: HelsenorgeClient,
  signal?: AbortSignal,
): BundleTarget {
  return {
    offerings: (bundle, observe) =>
      client.sendOfferings(bundle, signal, observe),
    members: (bundle, observe) => client.sendMembers(bundle, signal, observe),
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
  rules: MemberRules;
  /** Keep member state: delta sync, outcomes, runs. None in a dry run. */
  state?: StateStore;
  /** The export is the whole member list: end the memberships of absent members. */
  full?: boolean;
  /** Send unchanged members too. */
  force?: boolean;
  /** Largest share of an organization's members a full run may end. @default 0.2 */
  maxEndShare?: number;
  /** Let a full run end more than `maxEndShare`. */
  allowMassEnd?: boolean;
  /** Hold this lease for the run (with `state`), so runs never overlap. */
  lease?: LeaseOptions;
  /** Run under this lease, taken and given up by the caller (instead of `lease`). */
  heldLease?: HeldLease;
  /** What started the run: "cli", "cron", "webhook". */
  trigger?: string;
  /** Members per call to start from. @default 200 */
  batchSize?: number;
  /** Smallest batch the size may shrink to. @default batchSize (fixed) */
  minBatchSize?: number;
  /** Largest batch the size may grow to. @default batchSize */
  maxBatchSize?: number;
  /**
   * A member call slower than this shrinks the batch size; under half of it
   * lets it grow. @default 8000 (80 % of Helsenorge's 10 s limit)
   */
  targetLatencyMs?: number;
  /**
   * Member calls in a row without a usable answer (after the client's own
   * resends) that stop the run; below it, failed calls are sent again later
   * in the run. @default 1 (stop at the first)
   */
  breakerFailures?: number;
  /** Member calls in flight at once. @default 2 */
  concurrency?: number;
  /** Extra rounds for members whose entry failed (5xx in the batch-response). @default 2 */
  failedEntryRounds?: number;
  /** Environment name, for the report. @default "mock" */
  environment?: string;
  /** Where bundles go, for the report. */
  destination?: string;
  dryRun?: boolean;
  input?: SyncReport["input"];
  onProgress?: (progress: SyncProgress) => void;
  /** @default () => new Date() */
  now?: () => Date;
}

/** Run the job and return its report. Never throws for row or wire problems. */
export function runSync(options: SyncOptions): Promise<SyncReport> {
  const now = options.now ?? (() => new Date());
  return inRunScope(
    {
      state: options.state,
      lease: options.lease,
      heldLease: options.heldLease,
      trigger: options.trigger,
      environment: options.environment,
      now,
    },
    (run) => syncInScope(options, run?.id, now),
  );
}

async function syncInScope(
  options: SyncOptions,
  runId: string | undefined,
  now: () => Date,
): Promise<SyncReport> {
  const {
    target,
    offerings,
    members,
    rules,
    state,
    full = false,
    force = false,
    maxEndShare,
    allowMassEnd,
    batchSize = 200,
    minBatchSize = Math.min(batchSize, options.maxBatchSize ?? batchSize),
    maxBatchSize = Math.max(batchSize, minBatchSize),
    targetLatencyMs,
    breakerFailures = DEFAULT_BREAKER_FAILURES,
    concurrency = 2,
    failedEntryRounds = 2,
    environment = "mock",
    destination,
    dryRun = false,
    input,
    onProgress = () => {},
  } = options;

  const startedAt = now().toISOString();
  const problems = new ProblemList();
  const counts = emptyMemberCounts();
  const notes: string[] = [];
  const latency = new LatencyRecorder();
  let stoppedBecause: string | undefined;

  const offeringsCounts = offerings
    ? await sendOfferings(target, offerings, latency)
    : skippedOfferings();
  if (offerings && offeringsCounts.status === "sent" && state) {
    await saveOfferings(state.kv, offerings, now());
  }
  if (offeringsCounts.status === "failed") {
    stoppedBecause =
      `offerings were not accepted, so no members were sent: ${offeringsCounts.error}`;
  }

  let sizer: AdaptiveBatchSize | undefined;
  if (members) {
    sizer = new AdaptiveBatchSize({
      initial: batchSize,
      min: minBatchSize,
      max: maxBatchSize,
      targetMs: targetLatencyMs,
    });
    const sender = new MemberSender({
      target: (bundle, observe) => target.members(bundle, observe),
      counts,
      problems,
      state,
      runId,
      markSeen: full,
      force,
      now,
      onBatch: () => onProgress({ members: counts }),
      sizer,
      latency,
      breakerFailures,
    });
    if (stoppedBecause !== undefined) sender.stop(stoppedBecause);

    const validation: ValidationOutcome = { organizations: new Set() };
    await forEachBounded(
      adaptiveChunk(
        validMembers(members, rules, counts, problems, validation),
        sizer,
      ),
      concurrency,
      (batch) => sender.send(batch),
    );
    await sender.resendFailed(batchSize, failedEntryRounds);

    const readError = validation.readError;
    if (readError) {
      stoppedBecause ??= `the member file could not be read to its end${
        readError.line ? ` (line ${readError.line})` : ""
      }: ${readError.message}. The ${counts.read} rows before it were handled as reported`;
    }
    if (sender.stopReason !== undefined) {
      stoppedBecause ??= `member calls stopped: ${sender.stopReason}`;
    }

    if (full && stoppedBecause === undefined && state && runId && !dryRun) {
      const result = await endAbsentMembers({
        state,
        runId,
        target: (bundle) => target.members(bundle),
        organizations: validation.organizations,
        today: now().toISOString().slice(0, 10),
        maxEndShare,
        allowMassEnd,
        batchSize: sizer.current,
        now,
      });
      counts.batches += result.calls;
      notes.push(...result.notes);
      if (result.ok) {
        counts.ended = result.ended;
        if (result.failed > 0) {
          stoppedBecause =
            `${result.failed} memberships could not be ended (no answer); the next full run tries again`;
        }
      } else {
        stoppedBecause = result.refused;
      }
    }
  }

  const report = {
    startedAt,
    finishedAt: now().toISOString(),
    environment,
    destination,
    dryRun,
    input,
    offerings: offeringsCounts,
    members: counts,
    problems: problems.items.sort((a, b) => a.row - b.row),
    problemsOmitted: problems.omitted,
    notes: notes.length > 0 ? notes : undefined,
    stoppedBecause,
    latency: nonEmpty(latency.record()),
    batchSize: counts.batches > 0 ? sizer?.record() : undefined,
  };
  return { ...report, exitCode: exitCodeFor(report) };
}

function nonEmpty<T extends object>(value: T): T | undefined {
  return Object.keys(value).length > 0 ? value : undefined;
}

async function sendOfferings(
  target: BundleTarget,
  offerings: Offerings,
  latency: LatencyRecorder,
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
    const response = await target.offerings(
      bundle,
      (event) => latency.observe(event),
    );
    return { ...counts, status: response ? "sent" : "prepared" };
  } catch (error) {
    return {
      ...counts,
      status: "failed",
      error: errorMessage(error),
    };
  }
}
