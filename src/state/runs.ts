/**
 * Run records: when each run started and finished, its counters and its
 * first problems (masked), for the status page and for seen marks.
 *
 * @module
 */

import { maskIdsInText } from "../identifiers/mask.ts";
import { runKey, runProblemsKey } from "./keys.ts";

/** Problems kept per run; a run's report file holds them all. */
export const MAX_RUN_PROBLEMS = 1000;
/** Problems per KV value, well under the 64 KiB value limit. */
const PROBLEMS_PER_VALUE = 100;

/** A started run. `key` sorts runs by start time. */
export interface Run {
  id: string;
  key: string;
  startedAt: string;
  /** What started it: "cli", "cron", "webhook", ... */
  trigger?: string;
}

/** A problem as kept in a run record: masked values only. */
export interface RunProblem {
  row?: number;
  code?: string;
  value?: string;
  reason: string;
}

/** What a finished run reports. */
export interface RunFinish {
  /** Any counters, e.g. `SyncReport.members` plus skip counts. */
  counts: Record<string, number>;
  problems?: readonly RunProblem[];
  stoppedBecause?: string;
  exitCode?: number;
}

export interface RunRecord extends Run {
  status: "running" | "finished";
  finishedAt?: string;
  counts?: Record<string, number>;
  /** All problems the run had; at most `MAX_RUN_PROBLEMS` are kept. */
  problemCount?: number;
  stoppedBecause?: string;
  exitCode?: number;
}

export async function startRun(
  kv: Deno.Kv,
  now: Date,
  trigger?: string,
): Promise<Run> {
  const id = crypto.randomUUID();
  const run: Run = {
    id,
    key: `${now.toISOString()}_${id}`,
    startedAt: now.toISOString(),
    trigger,
  };
  await kv.set(runKey(run.key), { ...run, status: "running" });
  return run;
}

export async function finishRun(
  kv: Deno.Kv,
  run: Run,
  finish: RunFinish,
  now: Date,
): Promise<RunRecord> {
  const problems = (finish.problems ?? []).slice(0, MAX_RUN_PROBLEMS).map(
    (problem) => ({
      ...problem,
      value: problem.value === undefined
        ? undefined
        : maskIdsInText(problem.value),
      reason: maskIdsInText(problem.reason),
    }),
  );
  const record: RunRecord = {
    ...run,
    status: "finished",
    finishedAt: now.toISOString(),
    counts: finish.counts,
    problemCount: finish.problems?.length ?? 0,
    stoppedBecause: finish.stoppedBecause === undefined
      ? undefined
      : maskIdsInText(finish.stoppedBecause),
    exitCode: finish.exitCode,
  };

  const op = kv.atomic().set(runKey(run.key), record);
  for (let i = 0; i < problems.length; i += PROBLEMS_PER_VALUE) {
    op.set(
      runProblemsKey(run.key, i / PROBLEMS_PER_VALUE),
      problems.slice(i, i + PROBLEMS_PER_VALUE),
    );
  }
  await op.commit();
  return record;
}

/** The latest `n` runs, newest first. */
export async function lastRuns(kv: Deno.Kv, n: number): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  for await (
    const entry of kv.list<RunRecord>({ prefix: ["run"] }, {
      limit: n,
      reverse: true,
    })
  ) runs.push(entry.value);
  return runs;
}

/** The problems kept for a run, in the order they were given. */
export async function runProblems(
  kv: Deno.Kv,
  run: Pick<Run, "key">,
): Promise<RunProblem[]> {
  const problems: RunProblem[] = [];
  for await (
    const entry of kv.list<RunProblem[]>({ prefix: ["run-problems", run.key] })
  ) problems.push(...entry.value);
  return problems;
}
