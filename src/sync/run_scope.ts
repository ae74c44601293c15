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
  /**
   * Who holds it, shown to a run that is refused: "cli:host:pid", "cron".
   * Taking a lease its holder already holds succeeds: runs that may start
   * at once need holders of their own ({@linkcode oneRunLease}).
   */
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

/**
 * The lease for one run of a long-running process: the holder with a random
 * run id appended (`service:4711:webhook:1f3a9c2e`). Taking a lease its
 * holder already holds succeeds, so runs that shared one holder name (every
 * run of a service process, every isolate of a Deploy deployment) could
 * overlap; with a holder of its own each run is kept apart by the lease.
 */
export function oneRunLease<T extends LeaseOptions>(lease: T): T {
  return { ...lease, holder: `${lease.holder}:${runTag()}` };
}

function runTag(): string {
  return crypto.randomUUID().slice(0, 8);
}

/** A lease taken by {@linkcode takeLease}, renewed until released. */
export interface HeldLease {
  readonly name: string;
  readonly holder: string;
  /** A renewal was refused or failed: another run may hold the lease now. */
  readonly lost: boolean;
  /** Stop renewing and give the lease up; never throws. */
  release(): Promise<void>;
}

/** The lease, or who holds it and until when. */
export type TakeLeaseResult =
  | { ok: true; lease: HeldLease }
  | { ok: false; heldBy: string; until: string };

/**
 * Take the lease and renew it every third of its ttl until released: for a
 * caller that does more under the lease than one run of the sync core (a
 * webhook flush reads and settles events around its run) and hands it to
 * {@linkcode inRunScope} as `heldLease`.
 *
 * @example
 * ```ts
 * const taken = await takeLease(state, oneRunLease(lease), () => new Date());
 * if (taken.ok) {
 *   try {
 *     await runSync({ ...options, state, heldLease: taken.lease });
 *   } finally {
 *     await taken.lease.release();
 *   }
 * }
 * ```
 */
export async function takeLease(
  state: StateStore,
  lease: LeaseOptions,
  now: () => Date,
): Promise<TakeLeaseResult> {
  const { holder, name = "sync", ttlMs = 60_000 } = lease;
  const acquired = await state.acquireLease(name, holder, ttlMs, now());
  if (!acquired.ok) return acquired;

  let lost = false;
  let released: Promise<void> | undefined;
  const renewal = setInterval(() => {
    state.renewLease(name, holder, ttlMs, now()).then((renewed) => {
      if (!renewed.ok) lost = true;
    }).catch(() => lost = true);
  }, ttlMs / 3);
  return {
    ok: true,
    lease: {
      name,
      holder,
      get lost() {
        return lost;
      },
      release() {
        clearInterval(renewal);
        released ??= state.releaseLease(name, holder).then(
          () => {},
          () => {},
        );
        return released;
      },
    },
  };
}

export interface RunScopeOptions {
  state?: StateStore;
  /** Take this lease for the run, and give it up at its end. */
  lease?: LeaseOptions;
  /**
   * A lease the caller took with {@linkcode takeLease} and gives up itself;
   * the run goes on under it (instead of `lease`).
   */
  heldLease?: HeldLease;
  /** What started the run, kept in its record. */
  trigger?: string;
  /** Environment name, for a report of a run that could not start. */
  environment?: string;
  now: () => Date;
}

/**
 * Run `work` holding the lease (when state and a lease are given) and
 * recording the run. A refused lease gives a report with exit code
 * {@linkcode ExitCode.busy} and nothing done. The lease is given up on every
 * path, errors too; a `heldLease` is left to its caller.
 */
export async function inRunScope(
  options: RunScopeOptions,
  work: (run: Run | undefined) => Promise<SyncReport>,
): Promise<SyncReport> {
  const { state, lease, trigger, environment = "", now } = options;
  if (!state) return await work(undefined);

  let held = options.heldLease;
  let own: HeldLease | undefined;
  if (!held && lease) {
    const taken = await takeLease(state, lease, now);
    if (!taken.ok) {
      return busyReport(
        now(),
        environment,
        `another run (${taken.heldBy}) is in progress; its lease lasts until ${taken.until}. Try again later`,
      );
    }
    held = own = taken.lease;
  }

  try {
    // Holding the lease, no other run is in flight: journal entries left
    // now belong to a run that died between sending and recording.
    if (held) await state.recoverInterrupted(now());
    const run = await state.startRun(trigger);
    const report = await work(run);
    // Outcomes held back by the store are in the KV before the run is done;
    // unless the lease was lost: another run may have written since, so the
    // held writes are dropped and their journal entries left to the next run.
    const leaseLost = held?.lost ?? false;
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
    await own?.release();
  }
}

/**
 * The report of a run that did not start because another run is going on,
 * saying `why`: exit code {@linkcode ExitCode.busy}, nothing done.
 */
export function busyReport(
  at: Date,
  environment: string,
  why: string,
): SyncReport {
  return {
    startedAt: at.toISOString(),
    finishedAt: at.toISOString(),
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
