/**
 * How a member's state moves: the answer recorded after a send, `pending`
 * for members a dead run left in flight, `ended` for memberships ended. Pure
 * functions; the store writes what they return.
 *
 * Crash safety rests on the order (docs/state.md): a batch is journaled
 * before its call leaves, and a member becomes `stored` only after
 * Helsenorge's answer said so, so a run killed at any point leaves no member
 * `stored` that Helsenorge does not hold. The next run marks the journaled
 * members `pending`, which it (and the retry job, through `nextRetryAt`)
 * sends again. Member calls are conditional updates, so sending twice
 * changes nothing.
 *
 * @module
 */

import { maskIdsInText, maskNationalId } from "../identifiers/mask.ts";
import type {
  MemberBasis,
  MemberRef,
  MemberState,
  Outcome,
} from "./member_state.ts";
import { nextRetryAt, type RetrySchedule } from "./retry_schedule.ts";

/** One member's answer, as `recordOutcomes` takes it. */
export interface OutcomeResult {
  member: MemberRef;
  /** `contentHash(member)`: what was sent. */
  hash: string;
  outcome: Outcome;
  /** Why it was refused or failed; ids in it are masked before storing. */
  reason?: string;
}

/** The state of a member whose call may have left without an answer booked. */
export function pendingState(
  old: MemberState | undefined,
  member: MemberRef,
  hash: string,
  now: Date,
  schedule: RetrySchedule,
  runId?: string,
): MemberState {
  const changed = old === undefined || old.contentHash !== hash;
  return {
    ...fromMember(member, old),
    contentHash: hash,
    status: "pending",
    lastOutcome: old?.lastOutcome,
    reason: old?.reason,
    attempts: changed ? 0 : old.attempts,
    lastAttemptAt: old?.lastAttemptAt,
    // The retry job finds the member through the due index without waiting
    // for the next export.
    nextRetryAt: nextRetryAt(schedule.failed, 1, now).toISOString(),
    lastRunId: runId ?? old?.lastRunId,
  };
}

/** The state after Helsenorge answered (or the call failed). */
export function outcomeState(
  old: MemberBasis | undefined,
  result: OutcomeResult,
  now: Date,
  schedule: RetrySchedule,
  runId?: string,
): MemberState {
  const { member, hash, outcome } = result;
  const repeated = old !== undefined && old.contentHash === hash &&
    old.lastOutcome === outcome && old.attempts > 0;
  // Resends within one run (the breaker's, the failed-entry rounds) are one
  // attempt as far as the retry schedule goes: its first step is still next.
  const sameRun = runId !== undefined && old?.lastRunId === runId;
  const attempts = !repeated ? 1 : sameRun ? old.attempts : old.attempts + 1;
  const status = outcome === "failed" ? "pending" : outcome;
  const retry = outcome === "not-consented"
    ? schedule.notConsented
    : outcome === "failed"
    ? schedule.failed
    : undefined;
  // One object per member (this runs for every member a sync sends): the
  // member's fields, then the answer's. Stored members keep no reason.
  const state: MemberState = {
    ...fromMember(member, old),
    contentHash: hash,
    lastOutcome: outcome,
    attempts,
    lastAttemptAt: now.toISOString(),
    lastRunId: runId ?? old?.lastRunId,
    status,
  };
  if (outcome !== "stored") {
    state.reason = result.reason === undefined
      ? undefined
      : maskIdsInText(result.reason);
  }
  if (retry) {
    state.nextRetryAt = nextRetryAt(retry, attempts, now).toISOString();
  }
  return state;
}

/** The state of a member whose membership ended with `end`. */
export function endedState(
  old: MemberState,
  end: string,
  hash: string,
  now: Date,
  runId?: string,
): MemberState {
  const { nextRetryAt: _dropped, ...rest } = old;
  return {
    ...rest,
    status: "ended",
    end,
    contentHash: hash,
    endedAt: now.toISOString(),
    lastRunId: runId ?? old.lastRunId,
  };
}

function fromMember(member: MemberRef, old: MemberBasis | undefined) {
  return {
    nationalId: member.nationalId,
    idSystem: member.idSystem,
    organizationNumber: member.organizationNumber,
    start: member.start,
    end: member.end,
    row: member.row ?? old?.row,
    masked: maskNationalId(member.nationalId),
    endedAt: undefined,
  };
}
