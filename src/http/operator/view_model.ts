/**
 * Everything the operator page shows, read from the state store and the
 * webhook store in one go, with national ids already masked and members
 * named by sealed references: the components get nothing they could leak.
 *
 * @module
 */

import { maskIdsInText, maskNationalId } from "../../identifiers/mask.ts";
import type { Offerings } from "../../input/offering.ts";
import { eventCounts, listDead } from "../../service/event_store.ts";
import type { MemberStatus } from "../../state/member_state.ts";
import { loadOfferings } from "../../state/offerings.ts";
import {
  type RunProblem,
  runProblems,
  type RunRecord,
} from "../../state/runs.ts";
import type { StateStore } from "../../state/store.ts";
import type { MemberRefs } from "./member_ref.ts";

/** A member waiting for a retry, as shown. */
export interface RetryRow {
  /** Sealed `org|idKey`, for the retry form. */
  ref: string;
  masked: string;
  organizationNumber: string;
  status: MemberStatus;
  attempts: number;
  lastAttemptAt?: string;
  nextRetryAt?: string;
  reason?: string;
}

/** A rejected row of a run, as shown. */
export interface ProblemRow extends RunProblem {
  runKey: string;
  runStartedAt: string;
}

/** A dead-lettered webhook event, masked. */
export interface DeadRow {
  id: string;
  type: string;
  masked: string;
  organizationNumber: string;
  receivedAt: string;
  attempts: number;
  lastError?: string;
}

export interface OperatorView {
  runs: RunRecord[];
  organizations: Record<string, Record<MemberStatus, number>>;
  retries: RetryRow[];
  problems: ProblemRow[];
  /** The run the CSV button downloads: the last with problems. */
  csvRun?: RunRecord;
  dead: DeadRow[];
  events: { pending: number; dead: number };
  offerings?: { offerings: Offerings; acceptedAt: string };
}

export interface ViewOptions {
  /** Runs listed (and charted). @default 10 */
  runs?: number;
  /** Members listed in the retry table. @default 50 */
  retries?: number;
  /** Rejected rows listed, over the last runs. @default 100 */
  problems?: number;
  /** Dead letters listed. @default 20 */
  dead?: number;
}

/** Read the page's data. */
export async function loadOperatorView(
  state: StateStore,
  refs: MemberRefs,
  options: ViewOptions = {},
): Promise<OperatorView> {
  const { runs: runCount = 10, retries = 50, problems = 100, dead = 20 } =
    options;
  const kv = state.kv;
  const [summary, runs, waiting, deadEvents, events, offerings] = await Promise
    .all([
      state.statusSummary(),
      state.lastRuns(runCount),
      state.upcomingRetries(retries),
      listDead(kv, dead),
      eventCounts(kv),
      loadOfferings(kv),
    ]);

  const problemRows: ProblemRow[] = [];
  for (const run of runs) {
    if (!run.problemCount || problemRows.length >= problems) continue;
    for (const problem of await runProblems(kv, run)) {
      if (problemRows.length >= problems) break;
      problemRows.push({
        ...problem,
        value: problem.value === undefined
          ? undefined
          : maskIdsInText(problem.value),
        reason: maskIdsInText(problem.reason),
        runKey: run.key,
        runStartedAt: run.startedAt,
      });
    }
  }

  return {
    runs,
    organizations: summary.organizations,
    retries: await Promise.all(waiting.map(async ({ idKey, state: s }) => ({
      ref: await refs.seal({ organizationNumber: s.organizationNumber, idKey }),
      masked: s.masked || maskNationalId(s.nationalId),
      organizationNumber: s.organizationNumber,
      status: s.status,
      attempts: s.attempts,
      lastAttemptAt: s.lastAttemptAt,
      nextRetryAt: s.nextRetryAt,
      reason: s.reason === undefined ? undefined : maskIdsInText(s.reason),
    }))),
    problems: problemRows,
    csvRun: runs.find((run) => (run.problemCount ?? 0) > 0),
    dead: deadEvents.map((event) => ({
      id: maskIdsInText(event.id),
      type: event.type,
      masked: maskNationalId(event.nationalId),
      organizationNumber: event.organizationNumber,
      receivedAt: event.receivedAt,
      attempts: event.attempts,
      lastError: event.lastError === undefined
        ? undefined
        : maskIdsInText(event.lastError),
    })),
    events,
    offerings,
  };
}
