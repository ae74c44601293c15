/**
 * The retry job: send again the members whose next retry is due, such as
 * citizens who had not consented to Helsenorge when last sent, and members
 * whose call failed. Run by cron, and by `deno task sync --retry-due`.
 * {@linkcode retryMembersNow} sends chosen members at once, due or not (the
 * operator page's "retry now").
 *
 * @module
 */

import { forEachBounded } from "../batches/bounded.ts";
import { chunk } from "../batches/chunk.ts";
import type { Member } from "../input/member.ts";
import type { StoredMember } from "../state/member_state.ts";
import type { StateStore } from "../state/store.ts";
import { storedToMember } from "./end_memberships.ts";
import { LatencyRecorder } from "./latency.ts";
import { MemberSender, type MembersTarget } from "./member_sender.ts";
import {
  emptyMemberCounts,
  exitCodeFor,
  ProblemList,
  skippedOfferings,
  type SyncReport,
} from "./report.ts";
import { inRunScope, type LeaseOptions } from "./run_scope.ts";

export interface RetryDueOptions {
  state: StateStore;
  target: MembersTarget;
  /** Most members one run retries; the rest wait for the next. @default 50000 */
  limit?: number;
  batchSize?: number;
  concurrency?: number;
  lease?: LeaseOptions;
  /** @default "retry" */
  trigger?: string;
  environment?: string;
  destination?: string;
  now?: () => Date;
}

/** Retry every due member (up to `limit`) and report as a sync does. */
export function retryDueMembers(options: RetryDueOptions): Promise<SyncReport> {
  const { state, limit = 50_000, now = () => new Date() } = options;
  return retryRun(
    { ...options, trigger: options.trigger ?? "retry" },
    false,
    (counts) => due(state, now(), limit, counts),
  );
}

export interface RetryMembersOptions
  extends Omit<RetryDueOptions, "limit" | "trigger"> {
  /** Stored members to send now, whether their retry is due or not. */
  members: readonly StoredMember[];
  /** @default "operator" */
  trigger?: string;
}

/**
 * Send these stored members now, as they are stored, whatever their next
 * retry time (a person asked for it), holding the lease like any run and
 * recording a run; the state store books each answer.
 */
export function retryMembersNow(
  options: RetryMembersOptions,
): Promise<SyncReport> {
  const { members } = options;
  return retryRun(
    { ...options, trigger: options.trigger ?? "operator" },
    true,
    async function* (counts) {
      for (const stored of members) {
        counts.read++;
        yield storedToMember(stored);
      }
    },
  );
}

function retryRun(
  options: Omit<RetryDueOptions, "limit"> & { trigger: string },
  force: boolean,
  source: (counts: { read: number }) => AsyncGenerator<Member>,
): Promise<SyncReport> {
  const {
    state,
    target,
    batchSize = 200,
    concurrency = 2,
    lease,
    trigger,
    environment = "mock",
    destination,
    now = () => new Date(),
  } = options;

  return inRunScope(
    { state, lease, trigger, environment, now },
    async (run) => {
      const startedAt = now().toISOString();
      const counts = emptyMemberCounts();
      const problems = new ProblemList();
      const latency = new LatencyRecorder();
      const sender = new MemberSender({
        target,
        counts,
        problems,
        state,
        runId: run?.id,
        force,
        latency,
        now,
      });

      await forEachBounded(
        chunk(source(counts), batchSize),
        concurrency,
        (batch) => sender.send(batch),
      );
      await sender.resendFailed(batchSize, 1);

      const report = {
        startedAt,
        finishedAt: now().toISOString(),
        environment,
        destination,
        dryRun: false,
        offerings: skippedOfferings(),
        members: counts,
        problems: problems.items,
        problemsOmitted: problems.omitted,
        latency: latency.record(),
        stoppedBecause: sender.stopReason === undefined
          ? undefined
          : `member calls stopped: ${sender.stopReason}`,
      };
      return { ...report, exitCode: exitCodeFor(report) };
    },
  );
}

async function* due(
  state: StateStore,
  now: Date,
  limit: number,
  counts: { read: number },
): AsyncGenerator<Member> {
  for await (const stored of state.dueMembers(now, limit)) {
    counts.read++;
    yield storedToMember(stored);
  }
}
