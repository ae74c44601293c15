/**
 * What every run shares, whoever starts it (CLI, cron, webhook): the lease
 * that keeps runs from overlapping, and the run record in the state store.
 *
 * @module
 */

import type { Run } from "../state/runs.ts";
import type { StateStore } from "../state/store.ts";
import { latencyCounts } from "./latency.ts";
import {
  emptyMemberCounts,
  ExitCode,
  exitCodeFor,
  skippedOfferings,
  type SyncReport,
} from "./report.ts";

/** How a run holds the lease. */
export interface LeaseOptions {
  /** Who holds it, shown to a run that is refused: "cli:host:pid", "cron". */
  holder: string;
  /** Lease name: runs with the same name never overlap. @default "sync" */
  name?: string;
  /**
   * How long the lease lasts without renewal; a crashed run's lease expires
   * after this. Renewed every third of it while the run is alive.
   * @default 60000
   */
  ttlMs?: number;
}

/**
 * The lease every run against one environment takes (`sync:ENV`), whoever
 * starts it, so CLI runs, webhook flushes and cron jobs never overlap.
 */
export function syncLease(
  settings: { env: string; leaseTtlMs: number },
  holder: string,
): Required<LeaseOptions> {
  return { holder, name: `sync:${settings.env}`, ttlMs: settings.leaseTtlMs };
}

export interface RunScopeOptions {
  state?: StateStore;
  lease?: LeaseOptions;
  /** What started the run, kept in its record. */
  trigger?: string;
  /** Environment name, for a report of a run that could not start. */
  environment?: string;
  now: () => Date;
}

/**
 * Run `work` holding the lease (when state and a lease are given) and
 * recording the run. A refused lease gives a report with exit code
 * {@linkcode ExitCode.busy} and nothing done.
 */
export async function inRunScope(
  options: RunScopeOptions,
  work: (run: Run | undefined) => Promise<SyncReport>,
): Promise<SyncReport> {
  const { state, lease, trigger, environment = "", now } = options;
  if (!state) return await work(undefined);

  let renewal: ReturnType<typeof setInterval> | undefined;
  let leaseLost = false;
  if (lease) {
    const { holder, name = "sync", ttlMs = 60_000 } = lease;
    const acquired = await state.acquireLease(name, holder, ttlMs, now());
    if (!acquired.ok) {
      return busyReport(
        now().toISOString(),
        environment,
        `another run (${acquired.heldBy}) is in progress; its lease lasts until ${acquired.until}. Try again later`,
      );
    }
    renewal = setInterval(() => {
      state.renewLease(name, holder, ttlMs, now()).then((renewed) => {
        if (!renewed.ok) leaseLost = true;
      }).catch(() => leaseLost = true);
    }, ttlMs / 3);
  }

  // Holding the lease, no other run is in flight: journal entries left
  // now belong to a run that died between sending and recording.
  if (lease) await state.recoverInterrupted(now());
  const run = await state.startRun(trigger);
  try {
    const report = await work(run);
    // Outcomes held back by the store are in the KV before the run is done;
    // unless the lease was lost: another run may have written since, so the
    // held writes are dropped and their journal entries left to the next run.
    if (leaseLost) state.discardHeld();
    else await state.flush();
    if (leaseLost) {
      report.stoppedBecause ??=
        "the run lost its lease (it could not renew it in time); another run may have overlapped";
      report.exitCode = exitCodeFor(report);
    }
    await state.finishRun(run, {
      counts: {
        ...report.members,
        ...latencyCounts(report.latency ?? {}),
        ...(report.batchSize && {
          batchSizeInitial: report.batchSize.initial,
          batchSizeSettled: report.batchSize.settled,
          batchSizeSmallest: report.batchSize.smallest,
        }),
      },
      problems: report.problems,
      stoppedBecause: report.stoppedBecause,
      exitCode: report.exitCode,
    });
    return { ...report, runId: run.id };
  } finally {
    clearInterval(renewal);
    if (lease) {
      await state.releaseLease(lease.name ?? "sync", lease.holder).catch(
        () => {},
      );
    }
  }
}

function busyReport(
  at: string,
  environment: string,
  why: string,
): SyncReport {
  return {
    startedAt: at,
    finishedAt: at,
    environment,
    dryRun: false,
    offerings: skippedOfferings(),
    members: emptyMemberCounts(),
    problems: [],
    problemsOmitted: 0,
    stoppedBecause: why,
    exitCode: ExitCode.busy,
  };
}
