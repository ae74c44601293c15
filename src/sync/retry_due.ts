/**
 * The retry job: send again the members whose next retry is due, such as
 * citizens who had not consented to Helsenorge when last sent, and members
 * whose call failed. Run by cron, and by `deno task sync --retry-due`.
 *
 * @module
 */

import { forEachBounded } from "../batches/bounded.ts";
import { chunk } from "../batches/chunk.ts";
import type { Member } from "../input/member.ts";
import type { StateStore } from "../state/store.ts";
import { storedToMember } from "./end_memberships.ts";
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
  const {
    state,
    target,
    limit = 50_000,
    batchSize = 200,
    concurrency = 2,
    lease,
    trigger = "retry",
    environment = "mock",
    destination,
    now = () => new Date(),
  } = options;

  return inRunScope({ state, lease, trigger, now }, async (run) => {
    const startedAt = now().toISOString();
    const counts = emptyMemberCounts();
    const problems = new ProblemList();
    const sender = new MemberSender({
      target,
      counts,
      problems,
      state,
      runId: run?.id,
      now,
    });

    await forEachBounded(
      chunk(due(state, now(), limit, counts), batchSize),
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
      stoppedBecause: sender.stopReason === undefined
        ? undefined
        : `member calls stopped: ${sender.stopReason}`,
    };
    return { ...report, exitCode: exitCodeFor(report) };
  });
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
