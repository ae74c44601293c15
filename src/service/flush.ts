/**
 * The consumer's work: take pending events in received order, send them in
 * one run of the sync core, and settle each one only after the state store
 * holds its outcome.
 *
 * - Two events for the same member and organization: the later one (in
 *   received order) wins; the earlier is settled as done without a call.
 * - A `left` event sends the membership with its end (today when it has
 *   none) and the start the member had; a `left` event for a member never
 *   sent, with no start, has nothing to end and is settled as done. Once
 *   the state holds the `stored` outcome of a `left` event's content, the
 *   member is marked `ended` there (as a full run ends absent members).
 * - An event is done when the member's stored content equals what the event
 *   asked for and its status is an answer (`stored`, `not-consented`,
 *   `invalid`, `ended`). Otherwise the call failed: the event is tried
 *   again after a back-off, and dead-lettered after `maxAttempts`.
 * - Sending is at least once; the member calls are conditional updates and
 *   the sync's delta plan skips content Helsenorge already holds, so the
 *   mock sees each change once.
 *
 * @module
 */

import { maskIdsInText } from "../identifiers/mask.ts";
import type { MemberEntry } from "../input/member.ts";
import { contentHash } from "../state/content_hash.ts";
import type { StoredMember } from "../state/member_state.ts";
import type { StateStore } from "../state/store.ts";
import type { SyncReport } from "../sync/report.ts";
import { type HeldLease, oneRunLease, takeLease } from "../sync/run_scope.ts";
import { type BundleTarget, runSync } from "../sync/sync.ts";
import type { MemberRules } from "../sync/valid_members.ts";
import type { Logger } from "../log.ts";
import {
  type EventRecord,
  listPending,
  type PendingEvent,
  settleEvents,
  type Settlement,
} from "./event_store.ts";
import { type SyncTuning, tuningOf } from "../sync/tuning.ts";

/** What a flush needs; built once by the webhook service. */
export interface FlushContext extends SyncTuning {
  state: StateStore;
  target: BundleTarget;
  rules: MemberRules;
  environment: string;
  log: Logger;
  /**
   * The lease runs take; each run appends a run id of its own to `holder`
   * ({@linkcode oneRunLease}), so two runs of one process never share it.
   */
  lease: { holder: string; name: string; ttlMs: number };
  /** Events that make a flush start at once. */
  flushSize: number;
  /** Age of the oldest due event that makes a flush start. */
  flushAgeMs: number;
  /** Failed flushes before an event is dead-lettered. */
  maxAttempts: number;
  /** First back-off; doubles per failure, capped at one hour. */
  retryBaseMs: number;
  /** How long a settled event id is remembered for dedupe. */
  doneTtlMs: number;
  now: () => Date;
}

/**
 * What one flush did. The counters add up: `events = done + retried + dead`;
 * `superseded` and `ended` are parts of `done`, and `sent <= events`.
 */
export interface FlushResult {
  /**
   * Another run held the lease: nothing was done (or, should this flush
   * lose the lease during its run, nothing was settled).
   */
  busy: boolean;
  /** Events this flush settled or put back: `done + retried + dead`. */
  events: number;
  /** Of those, events whose membership went to the sync core. */
  sent: number;
  /** Settled: outcome recorded, superseded, or nothing to end. */
  done: number;
  /** Put back with a back-off. */
  retried: number;
  /** Moved to the dead-letter list. */
  dead: number;
  /** Earlier events for a member overtaken by a later one (part of `done`). */
  superseded: number;
  /** `left` events whose member was marked ended in state (part of `done`). */
  ended: number;
  /** Due events left after this flush (more flushes needed). */
  moreDue: boolean;
  /** When the next flush is worth trying, if anything is still pending. */
  nextAt?: Date;
  runId?: string;
}

/** Pending events read per flush, beyond the batch itself. */
const SCAN_FACTOR = 4;
const MAX_BACKOFF_MS = 3_600_000;

/**
 * Flush once, holding the lease from the first read of pending events to
 * the last settle (the sync core runs under it, not taking it again).
 * Without `force`, nothing is sent unless `flushSize` events are due or the
 * oldest due event is `flushAgeMs` old; `nextAt` then says when to look
 * again.
 */
export async function flushPending(
  context: FlushContext,
  options: { force?: boolean } = {},
): Promise<FlushResult> {
  const { state, lease, log, now, flushSize, flushAgeMs } = context;
  const { force = false } = options;
  const result: FlushResult = {
    busy: false,
    events: 0,
    sent: 0,
    done: 0,
    retried: 0,
    dead: 0,
    superseded: 0,
    ended: 0,
    moreDue: false,
  };
  const count = (settlements: Settlement[]) => {
    for (const s of settlements) {
      if (s.kind === "done") result.done++;
      else if (s.kind === "retry") result.retried++;
      else result.dead++;
    }
    result.events = result.done + result.retried + result.dead;
  };

  const taken = await takeLease(state, oneRunLease(lease), now);
  if (!taken.ok) {
    const until = Date.parse(taken.until);
    return {
      ...result,
      busy: true,
      nextAt: new Date(Number.isNaN(until) ? +now() + 1000 : until),
    };
  }
  const held = taken.lease;
  const started = performance.now();
  try {
    const scanLimit = Math.max(flushSize * SCAN_FACTOR, 1000);
    const pending = await listPending(state.kv, scanLimit);
    if (pending.length === 0) return result;

    const { latest, supersededBy } = collapse(pending);
    const at = now();
    const settlements: Settlement[] = [];

    const due = latest.filter((p) => Date.parse(p.record.nextAttemptAt) <= +at);
    const batch = due.slice(0, flushSize);
    const oldest = batch[0] && Date.parse(batch[0].record.nextAttemptAt);
    const ripe = force || batch.length >= flushSize ||
      (oldest !== undefined && +at - oldest >= flushAgeMs);

    if (!ripe || batch.length === 0) {
      result.nextAt = nextLook(latest, flushAgeMs, at);
      return result;
    }

    const sent = await sendBatch(context, held, batch, settlements, at);
    const report = sent.report;
    result.runId = report?.runId;
    if (held.lost) {
      // Another run may have the lease now: settle nothing, so the next
      // flush reads these events again as they were.
      log.warn("flush lost its lease; its events stay pending", {
        runId: report?.runId,
        events: batch.length,
      });
      return { ...result, busy: true, nextAt: at };
    }
    // An event a later one superseded is settled with that one, once it is
    // done or dead, in the same commit: until then it is what the later one
    // may still need (a `left` event takes its start from an earlier
    // `joined`), and settled alone it would come back as the member's latest.
    const groups = settlements.map((settlement) => {
      const earlier = settlement.kind === "retry"
        ? []
        : supersededBy.get(settlement.event) ?? [];
      result.superseded += earlier.length;
      return [
        ...earlier.map((event): Settlement => ({ event, kind: "done" })),
        settlement,
      ];
    });
    // What the events changed in the state (a `left` marks its member
    // ended, a write held back under the lease) is in the KV before any of
    // them is settled.
    await state.flush();
    await settle(context, groups, at);
    count(groups.flat());
    result.sent = sent.sent;
    result.ended = sent.ended;
    // A scan window full of events waiting for their back-off holds back
    // later ones until those are due (known shortcoming, docs/webhooks.md).
    result.moreDue = due.length > batch.length;
    result.nextAt = result.moreDue
      ? at
      : nextLook(latest.filter((p) => !batch.includes(p)), flushAgeMs, at);

    log.info("flush", {
      runId: report?.runId,
      events: result.events,
      sent: result.sent,
      done: result.done,
      retried: result.retried,
      dead: result.dead,
      superseded: result.superseded,
      ended: result.ended,
      stored: report?.members.stored,
      notConsented: report?.members.notConsented,
      unchanged: report?.members.unchanged,
      batches: report?.members.batches,
      stoppedBecause: report?.stoppedBecause,
      durationMs: Math.round(performance.now() - started),
    });
    return result;
  } finally {
    await held.release();
  }
}

/**
 * Keep each member's latest event; the earlier ones are superseded by it
 * (listed under it in `supersededBy`, keyed by the event in `latest`).
 */
function collapse(
  pending: PendingEvent[],
): {
  latest: PendingEvent[];
  supersededBy: Map<PendingEvent, PendingEvent[]>;
} {
  const last = new Map<string, number>();
  pending.forEach((p, i) => last.set(memberOf(p.record), i));
  const latest: PendingEvent[] = [];
  const earlier = new Map<string, PendingEvent[]>();
  const supersededBy = new Map<PendingEvent, PendingEvent[]>();
  const startOf = new Map<string, string>();
  pending.forEach((p, i) => {
    const key = memberOf(p.record);
    if (p.record.start) startOf.set(key, p.record.start);
    if (last.get(key) === i) {
      // A `left` event without a start takes the one an earlier event gave.
      if (!p.record.start && startOf.has(key)) {
        p = { ...p, record: { ...p.record, start: startOf.get(key) } };
      }
      latest.push(p);
      const before = earlier.get(key);
      if (before) supersededBy.set(p, before);
    } else {
      const before = earlier.get(key) ?? [];
      before.push(p);
      earlier.set(key, before);
    }
  });
  return { latest, supersededBy };
}

function memberOf(record: EventRecord): string {
  return `${record.organizationNumber}|${record.nationalId}`;
}

/**
 * Run the sync core on the batch and add each event's settlement to
 * `settlements`. Returns the report (none when nothing had to be sent), how
 * many events went to the core, and how many members a `left` event ended.
 */
async function sendBatch(
  context: FlushContext,
  lease: HeldLease,
  batch: PendingEvent[],
  settlements: Settlement[],
  at: Date,
): Promise<{ report?: SyncReport; sent: number; ended: number }> {
  const { state, target, rules, environment, now } = context;
  const today = at.toISOString().slice(0, 10);

  // `left` events without a start take the member's stored start.
  const needStart = batch.filter((p) => !p.record.start);
  const stored = needStart.length > 0
    ? await state.getMembers(
      needStart.map((p) => ({
        nationalId: p.record.nationalId,
        organizationNumber: p.record.organizationNumber,
        idSystem: p.record.idSystem,
        start: "",
        end: "",
      })),
    )
    : [];
  const startFromState = new Map<PendingEvent, string | undefined>();
  needStart.forEach((p, i) => startFromState.set(p, stored[i]?.state.start));

  const toSend: { event: PendingEvent; member: Required<EventRecord> }[] = [];
  for (const event of batch) {
    const start = event.record.start ?? startFromState.get(event);
    if (start === undefined) {
      // Nothing was ever sent for this member: there is nothing to end.
      settlements.push({ event, kind: "done" });
      continue;
    }
    const end = event.record.end ??
      (event.record.type === "left" ? today : rules.defaultEnd);
    toSend.push({
      event,
      member: { ...event.record, start, end } as Required<EventRecord>,
    });
  }
  if (toSend.length === 0) return { sent: 0, ended: 0 };

  async function* entries(): AsyncGenerator<MemberEntry> {
    for (const [i, { member }] of toSend.entries()) {
      const cell = (value: string | undefined, column: string) =>
        value === undefined ? undefined : { value, column };
      yield {
        record: {
          row: i + 1,
          nationalId: cell(member.nationalId, "nationalId"),
          organizationNumber: cell(
            member.organizationNumber,
            "organizationNumber",
          ),
          start: cell(member.start, "start"),
          end: cell(member.end, "end"),
        },
      };
    }
  }

  const report = await runSync({
    target,
    members: entries(),
    rules,
    state,
    heldLease: lease,
    trigger: "webhook",
    ...tuningOf(context),
    environment,
    now,
  });
  if (lease.lost) return { report, sent: toSend.length, ended: 0 };

  // Rows the core refused before sending (a rule the event broke).
  const refused = new Map<number, string>();
  for (const problem of report.problems) {
    if (problem.severity !== "error") continue;
    if (
      problem.code === "send-failed" ||
      problem.code === "rejected-by-helsenorge"
    ) continue;
    refused.set(problem.row, maskIdsInText(problem.reason));
  }

  const states = await state.getMembers(toSend.map((t) => t.member));
  const toEnd: { member: StoredMember; end: string }[] = [];
  toSend.forEach(({ event, member }, i) => {
    const reason = refused.get(i + 1);
    if (reason !== undefined) {
      settlements.push({ event, kind: "dead", error: reason });
      return;
    }
    const held = states[i]?.state;
    const answered = held !== undefined && held.status !== "pending" &&
      held.contentHash === contentHash(member);
    if (answered) {
      // Helsenorge holds the membership with its end: the member left.
      if (event.record.type === "left" && held.status === "stored") {
        toEnd.push({ member: states[i]!, end: member.end });
      }
      settlements.push({ event, kind: "done" });
      return;
    }
    const error = maskIdsInText(
      report.stoppedBecause ?? held?.reason ?? "no answer was recorded",
    );
    settlements.push(failure(context, event, error, at));
  });
  if (toEnd.length > 0) await state.markEnded(toEnd, { runId: report.runId });
  return { report, sent: toSend.length, ended: toEnd.length };
}

function failure(
  context: FlushContext,
  event: PendingEvent,
  error: string,
  at: Date,
): Settlement {
  const attempts = event.record.attempts + 1;
  if (attempts >= context.maxAttempts) return { event, kind: "dead", error };
  const delay = Math.min(
    context.retryBaseMs * 2 ** (attempts - 1),
    MAX_BACKOFF_MS,
  );
  return {
    event,
    kind: "retry",
    error,
    nextAttemptAt: new Date(+at + delay).toISOString(),
  };
}

async function settle(
  context: FlushContext,
  groups: Settlement[][],
  at: Date,
): Promise<void> {
  if (groups.length === 0) return;
  await settleEvents(context.state.kv, groups, {
    now: at,
    doneTtlMs: context.doneTtlMs,
  });
}

/** When the oldest remaining event becomes ripe or due. */
function nextLook(
  pending: PendingEvent[],
  flushAgeMs: number,
  at: Date,
): Date | undefined {
  let next: number | undefined;
  for (const p of pending) {
    const due = Date.parse(p.record.nextAttemptAt);
    const ripe = Math.max(due, Date.parse(p.record.receivedAt) + flushAgeMs);
    next = next === undefined ? ripe : Math.min(next, ripe);
  }
  return next === undefined ? undefined : new Date(Math.max(next, +at));
}
