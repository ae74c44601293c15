/**
 * Membership events accepted by the webhook, kept durably in Deno KV until a
 * flush has recorded their outcome.
 *
 * | key | value |
 * | --- | --- |
 * | `["wh", "event", id]` | `{ status: "pending", seq }`, then `{ status: "done" \| "dead", at }` (expires after `doneTtlMs`) |
 * | `["wh", "pending", seq, id]` | {@linkcode EventRecord}: the event with its attempts |
 * | `["wh", "dead", seq, id]` | the {@linkcode EventRecord} that kept failing, with its last error |
 * | `["wh", "count", "pending" \| "dead"]` | `Deno.KvU64` |
 *
 * `seq` is the receive time and a per-process counter
 * (`2026-06-15T08:00:00.000Z#000000042`), so pending keys list in received
 * order. The event key is written with a "must not exist" check in the same
 * atomic operation as the pending key: an event id is accepted once. The
 * mark keeps a hash of the event's content, so a redelivery with the same
 * content is only acknowledged, and the same id with other content is a
 * conflict: refused, the first kept. (Marks written before the hash existed
 * have none; a redelivery against one is acknowledged.)
 *
 * @module
 */

import { fnv1a64 } from "../state/content_hash.ts";

/** What a membership system tells us happened. */
export type EventType = "joined" | "changed" | "left";

/** A validated event, normalized (digits only, `YYYY-MM-DD` dates). */
export interface MembershipEvent {
  id: string;
  type: EventType;
  /** 11 digits. Never log this. */
  nationalId: string;
  idSystem: string;
  organizationNumber: string;
  /** Absent only on `left` events. */
  start?: string;
  /** Absent on `left` events (today is used) or when a default end applies. */
  end?: string;
}

/** An event as kept while it waits for a flush. */
export interface EventRecord extends MembershipEvent {
  seq: string;
  receivedAt: string;
  requestId?: string;
  /** {@linkcode eventContentHash} of the event. */
  hash?: string;
  /** Flushes that could not record an outcome for it. */
  attempts: number;
  /** ISO time before which it is not flushed again. */
  nextAttemptAt: string;
  /** Why the last flush failed for it (masked). */
  lastError?: string;
}

/** A pending event as listed, with its versionstamp for checked updates. */
export interface PendingEvent {
  record: EventRecord;
  versionstamp: string;
}

/** The small mark left under the event id once it is settled. */
interface EventMark {
  status: "pending" | "done" | "dead";
  seq?: string;
  at?: string;
  /** The content hash of the event first stored under this id. */
  hash?: string;
}

/** A hash of what an event asks for (normalized), to tell redeliveries apart. */
export function eventContentHash(event: MembershipEvent): string {
  return fnv1a64(
    [
      "event-1",
      event.type,
      event.idSystem,
      event.nationalId,
      event.organizationNumber,
      event.start ?? "",
      event.end ?? "",
    ].join("|"),
  );
}

export const eventKey = (id: string) => ["wh", "event", id];
export const pendingKey = (seq: string, id: string) => [
  "wh",
  "pending",
  seq,
  id,
];
export const deadKey = (seq: string, id: string) => ["wh", "dead", seq, id];
export const countKey = (what: "pending" | "dead") => ["wh", "count", what];

/** KV sums wrap modulo 2^64: subtracting n is adding 2^64 − n. */
const minus = (n: number) => new Deno.KvU64((1n << 64n) - BigInt(n));
const plus = (n: number) => new Deno.KvU64(BigInt(n));

/** Events per atomic operation: 3 mutations and 1 check each. */
const ACCEPT_CHUNK = 50;
const SETTLE_CHUNK = 90;

let counter = 0;

/** A sequence that sorts in received order within this process. */
export function nextSeq(now: Date): string {
  counter = (counter + 1) % 1_000_000_000;
  return `${now.toISOString()}#${String(counter).padStart(9, "0")}`;
}

export interface AcceptResult {
  /** Ids newly written. */
  accepted: string[];
  /**
   * Ids seen before (or twice in this call) with the same content:
   * acknowledged, not stored again.
   */
  duplicates: string[];
  /**
   * Events whose id was seen before with other content: refused, the first
   * kept. `index` is the event's place in the call's `events`.
   */
  conflicts: { index: number; id: string }[];
}

/**
 * Write events that are new, in one atomic operation per chunk, each with a
 * check that its id was never seen. A chunk that loses a race is retried
 * one event at a time.
 */
export async function acceptEvents(
  kv: Deno.Kv,
  events: readonly MembershipEvent[],
  options: { now: Date; requestId?: string },
): Promise<AcceptResult> {
  const { now, requestId } = options;
  const accepted: string[] = [];
  const duplicates: string[] = [];
  const conflicts: AcceptResult["conflicts"] = [];
  const unique: EventRecord[] = [];
  const indexOf = new Map<EventRecord, number>();
  const inCall = new Map<string, string>();
  events.forEach((event, index) => {
    const hash = eventContentHash(event);
    const seen = inCall.get(event.id);
    if (seen !== undefined) {
      if (seen === hash) duplicates.push(event.id);
      else conflicts.push({ index, id: event.id });
      return;
    }
    inCall.set(event.id, hash);
    const record: EventRecord = {
      ...event,
      seq: nextSeq(now),
      receivedAt: now.toISOString(),
      requestId,
      hash,
      attempts: 0,
      nextAttemptAt: now.toISOString(),
    };
    indexOf.set(record, index);
    unique.push(record);
  });

  const write = async (records: EventRecord[]) => {
    const op = kv.atomic();
    for (const record of records) {
      const mark: EventMark = {
        status: "pending",
        seq: record.seq,
        hash: record.hash,
      };
      op.check({ key: eventKey(record.id), versionstamp: null })
        .set(eventKey(record.id), mark)
        .set(pendingKey(record.seq, record.id), record);
    }
    op.sum(countKey("pending"), plus(records.length).value);
    return (await op.commit()).ok;
  };

  for (let i = 0; i < unique.length; i += ACCEPT_CHUNK) {
    const chunk = unique.slice(i, i + ACCEPT_CHUNK);
    if (await write(chunk)) {
      accepted.push(...chunk.map((r) => r.id));
      continue;
    }
    for (const record of chunk) {
      if (await write([record])) {
        accepted.push(record.id);
        continue;
      }
      const first = (await kv.get<EventMark>(eventKey(record.id))).value;
      if (first?.hash !== undefined && first.hash !== record.hash) {
        conflicts.push({ index: indexOf.get(record)!, id: record.id });
      } else duplicates.push(record.id);
    }
  }
  conflicts.sort((a, b) => a.index - b.index);
  return { accepted, duplicates, conflicts };
}

/** Pending events in received order, at most `limit`. */
export async function listPending(
  kv: Deno.Kv,
  limit: number,
): Promise<PendingEvent[]> {
  const out: PendingEvent[] = [];
  const iter = kv.list<EventRecord>({ prefix: ["wh", "pending"] }, {
    limit,
    batchSize: Math.min(limit, 1000),
  });
  for await (const entry of iter) {
    out.push({ record: entry.value, versionstamp: entry.versionstamp });
  }
  return out;
}

/** How a flush settles one pending event. */
export type Settlement =
  | { event: PendingEvent; kind: "done" }
  | { event: PendingEvent; kind: "retry"; nextAttemptAt: string; error: string }
  | { event: PendingEvent; kind: "dead"; error: string };

/**
 * Apply settlements, each checked against the versionstamp it was listed
 * with, so an event another flush already settled is left alone (and the
 * counters stay exact). Returns how many were applied.
 *
 * `groups` hold settlements that belong together (an event and the earlier
 * ones it superseded): a group goes into one atomic commit whenever it fits
 * in one, so a crash between commits never settles part of it.
 */
export async function settleEvents(
  kv: Deno.Kv,
  groups: readonly (readonly Settlement[])[],
  options: { now: Date; doneTtlMs: number },
): Promise<number> {
  const { now, doneTtlMs } = options;
  const write = async (items: readonly Settlement[]) => {
    const op = kv.atomic();
    let settled = 0;
    let dead = 0;
    for (const item of items) {
      const { record, versionstamp } = item.event;
      const key = pendingKey(record.seq, record.id);
      op.check({ key, versionstamp });
      if (item.kind === "retry") {
        op.set(key, {
          ...record,
          attempts: record.attempts + 1,
          nextAttemptAt: item.nextAttemptAt,
          lastError: item.error,
        });
        continue;
      }
      op.delete(key);
      settled++;
      const mark: EventMark = {
        status: item.kind,
        at: now.toISOString(),
        hash: record.hash,
      };
      if (item.kind === "dead") {
        dead++;
        op.set(eventKey(record.id), mark);
        op.set(deadKey(record.seq, record.id), {
          ...record,
          attempts: record.attempts + 1,
          lastError: item.error,
        });
      } else {
        op.set(eventKey(record.id), mark, { expireIn: doneTtlMs });
      }
    }
    if (settled > 0) op.sum(countKey("pending"), minus(settled).value);
    if (dead > 0) op.sum(countKey("dead"), plus(dead).value);
    return (await op.commit()).ok;
  };

  let applied = 0;
  const commit = async (chunk: readonly Settlement[]) => {
    if (chunk.length === 0) return;
    if (await write(chunk)) {
      applied += chunk.length;
      return;
    }
    for (const item of chunk) if (await write([item])) applied++;
  };
  let chunk: Settlement[] = [];
  for (const group of groups) {
    // A group too large for one commit goes in order, in several.
    for (let i = 0; i < group.length; i += SETTLE_CHUNK) {
      const part = group.slice(i, i + SETTLE_CHUNK);
      if (chunk.length + part.length > SETTLE_CHUNK) {
        await commit(chunk);
        chunk = [];
      }
      chunk.push(...part);
    }
  }
  await commit(chunk);
  return applied;
}

/** Counters of pending and dead-lettered events. */
export async function eventCounts(
  kv: Deno.Kv,
): Promise<{ pending: number; dead: number }> {
  const [pending, dead] = await kv.getMany<Deno.KvU64[]>([
    countKey("pending"),
    countKey("dead"),
  ]);
  const value = (entry: Deno.KvEntryMaybe<Deno.KvU64>) => {
    const n = entry.value?.value ?? 0n;
    return n >= 1n << 63n ? 0 : Number(n);
  };
  return { pending: value(pending), dead: value(dead) };
}

/** Dead-lettered events, oldest first, at most `limit`. Full ids inside. */
export async function listDead(
  kv: Deno.Kv,
  limit: number,
): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  for await (
    const entry of kv.list<EventRecord>({ prefix: ["wh", "dead"] }, { limit })
  ) out.push(entry.value);
  return out;
}

/** The settled state of an event id, if it was ever accepted. */
export async function eventStatus(
  kv: Deno.Kv,
  id: string,
): Promise<EventMark["status"] | undefined> {
  return (await kv.get<EventMark>(eventKey(id))).value?.status;
}
