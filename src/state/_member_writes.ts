/**
 * The two ways member records are written, both in atomic chunks that also
 * keep the due index and the per-organization status counters in step.
 *
 * Without the lease ({@linkcode writeMembers}), each chunk checks the
 * versionstamp of every member it rewrites, so a counter is moved from the
 * status that was really stored; if another writer got there first the
 * chunk is read again and recomputed.
 *
 * Holding the lease, the store is the only writer and holds writes back
 * ({@linkcode writeHeld}): many thousands of records sorted by key and
 * written in commits as large as KV allows, without checks. National ids
 * arrive in no order; written as they come, each commit dirties a B-tree
 * page per member, while a sorted run of many thousands touches each page
 * once for several members (docs/performance.md: ~70 -> ~12 us a member).
 *
 * Limits (Deno KV, checked on 2.9): 1000 mutations, 100 checks and 800 KiB
 * per atomic operation, 10 keys per `getMany`. A checked chunk of 100
 * members uses 100 checks and at most 3 mutations per member plus the
 * counters.
 *
 * @module
 */

import { MedlemsbroError } from "../errors.ts";
import { countKey, dueKey, memberKey } from "./keys.ts";
import {
  decodeMember,
  encodeMember,
  type MemberValue,
} from "./member_record.ts";
import type { MemberBasis, MemberState, StoredMember } from "./member_state.ts";

/** Members per atomic operation: bounded by the 100-check limit. */
export const WRITE_CHUNK = 100;
/** Mutations per atomic operation (Deno KV's limit). */
const MAX_MUTATIONS = 1000;
/**
 * Estimated bytes per atomic operation without checks: under KV's 800 KiB,
 * with room for the estimate's error.
 */
const MAX_HELD_BYTES = 640 * 1024;
/** Keys per `getMany` call (Deno KV's limit). */
export const GET_MANY_LIMIT = 10;
const MAX_ROUNDS = 5;
const U64 = 1n << 64n;

/** One member to rewrite. */
export interface MemberUpdate {
  organizationNumber: string;
  idKey: string;
  /** The next state from the current one; `undefined` leaves it as it is. */
  update(old: MemberState | undefined): MemberState | undefined;
  /**
   * The record as the caller last read it (`null`: known absent), which
   * spares a read; a stale one only costs a retry of its chunk.
   */
  known?: StoredMember | null;
}

/** Read member records, 10 keys per call, all calls at once. */
export async function readMembers(
  kv: Deno.Kv,
  refs: readonly { organizationNumber: string; idKey: string }[],
): Promise<(StoredMember | undefined)[]> {
  const calls: Promise<Deno.KvEntryMaybe<MemberValue>[]>[] = [];
  for (let i = 0; i < refs.length; i += GET_MANY_LIMIT) {
    const keys = refs.slice(i, i + GET_MANY_LIMIT)
      .map((ref) => memberKey(ref.organizationNumber, ref.idKey));
    calls.push(kv.getMany<MemberValue[]>(keys));
  }
  const entries = (await Promise.all(calls)).flat();
  return entries.map((entry, index) =>
    entry.versionstamp === null ? undefined : {
      idKey: refs[index].idKey,
      state: decodeMember(entry.value, refs[index].organizationNumber),
      versionstamp: entry.versionstamp,
    }
  );
}

/**
 * Apply the updates; returns each member's record after the write (or the
 * unchanged one when `update` answered `undefined`).
 */
export async function writeMembers(
  kv: Deno.Kv,
  updates: readonly MemberUpdate[],
): Promise<(StoredMember | undefined)[]> {
  const written: (StoredMember | undefined)[] = [];
  for (let i = 0; i < updates.length; i += WRITE_CHUNK) {
    written.push(...await writeChunk(kv, updates.slice(i, i + WRITE_CHUNK)));
  }
  return written;
}

async function writeChunk(
  kv: Deno.Kv,
  updates: readonly MemberUpdate[],
): Promise<(StoredMember | undefined)[]> {
  let current: (StoredMember | undefined)[] | undefined = updates.every((
      u,
    ) => u.known !== undefined
    )
    ? updates.map((u) => u.known ?? undefined)
    : undefined;

  for (let round = 1; round <= MAX_ROUNDS; round++) {
    current ??= await readMembers(kv, updates);
    const op = kv.atomic();
    const counters = new Map<string, number>();
    const next: (MemberState | undefined)[] = updates.map((u, index) =>
      u.update(current![index]?.state)
    );

    updates.forEach((u, index) => {
      const old = current![index];
      const state = next[index];
      if (state === undefined) return;
      const key = memberKey(u.organizationNumber, u.idKey);
      op.check({ key, versionstamp: old?.versionstamp ?? null });
      setMember(op, counters, u, old?.state, state, encodeMember(state));
    });
    sumCounters(op, counters);

    const result = await op.commit();
    if (result.ok) {
      return updates.map((u, index) => {
        const state = next[index];
        if (state === undefined) return current![index];
        return { idKey: u.idKey, state, versionstamp: result.versionstamp };
      });
    }
    current = undefined;
  }
  throw new MedlemsbroError(
    "ERR_STATE_CONFLICT",
    `Cannot write ${updates.length} member records: another writer kept changing them (${MAX_ROUNDS} tries); is a second run using the same store?`,
  );
}

/** A member write held back by the store while it holds the lease. */
export interface HeldWrite {
  organizationNumber: string;
  idKey: string;
  /**
   * What the KV holds now, before any held write (`undefined`: no record):
   * the due key to drop and the counter to move.
   */
  stored: DueAndStatus | undefined;
  /** The record to write, encoded already: far less to hold than a state. */
  record: MemberValue;
  /** The record's status and next retry, for the counters and due index. */
  status: MemberState["status"];
  nextRetryAt?: string;
}

type DueAndStatus = Pick<MemberBasis, "status" | "nextRetryAt">;

/**
 * Held writes by organization, then idKey: a lookup needs no joined key
 * string (building and hashing one per member was ~1.5 s of a million).
 */
export class HeldWrites {
  readonly #byOrganization = new Map<string, Map<string, HeldWrite>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(organizationNumber: string, idKey: string): HeldWrite | undefined {
    return this.#byOrganization.get(organizationNumber)?.get(idKey);
  }

  /** Hold `write`, in place of any earlier one for the member. */
  set(write: HeldWrite): void {
    let writes = this.#byOrganization.get(write.organizationNumber);
    if (writes === undefined) {
      writes = new Map();
      this.#byOrganization.set(write.organizationNumber, writes);
    }
    const before = writes.size;
    writes.set(write.idKey, write);
    this.#size += writes.size - before;
  }

  /** Every held write, in no particular order. */
  all(): HeldWrite[] {
    const all: HeldWrite[] = [];
    for (const writes of this.#byOrganization.values()) {
      for (const write of writes.values()) all.push(write);
    }
    return all;
  }
}

/**
 * Write held records in member-key order, as many per atomic operation as
 * KV allows, without checks (the caller is the only writer); then delete
 * `thenDelete` (journal entries whose outcomes these records are).
 */
export async function writeHeld(
  kv: Deno.Kv,
  held: HeldWrite[],
  thenDelete: readonly Deno.KvKey[] = [],
): Promise<void> {
  held.sort((x, y) =>
    x.organizationNumber !== y.organizationNumber
      ? (x.organizationNumber < y.organizationNumber ? -1 : 1)
      : (x.idKey < y.idKey ? -1 : x.idKey > y.idKey ? 1 : 0)
  );
  let op = kv.atomic();
  let mutations = 0;
  let bytes = 0;
  let counters = new Map<string, number>();
  const commit = async () => {
    sumCounters(op, counters);
    const result = await op.commit();
    if (!result.ok) {
      throw new MedlemsbroError(
        "ERR_STATE_CONFLICT",
        "Cannot write member records: an unchecked commit was refused",
      );
    }
    op = kv.atomic();
    mutations = 0;
    bytes = 0;
    counters = new Map();
  };

  for (const write of held) {
    const { stored, record } = write;
    const dueMoves = stored?.nextRetryAt === write.nextRetryAt
      ? 0
      : (stored?.nextRetryAt ? 1 : 0) + (write.nextRetryAt ? 1 : 0);
    const size = estimatedBytes(record);
    // Up to two new counters besides this member's own mutations.
    if (
      mutations > 0 &&
      (mutations + 1 + dueMoves + counters.size + 2 > MAX_MUTATIONS ||
        bytes + size > MAX_HELD_BYTES)
    ) {
      await commit();
    }
    setMember(op, counters, write, stored, write, record);
    mutations += 1 + dueMoves;
    bytes += size;
  }
  if (mutations > 0) await commit();

  for (let i = 0; i < thenDelete.length; i += MAX_MUTATIONS) {
    const deletes = kv.atomic();
    for (const key of thenDelete.slice(i, i + MAX_MUTATIONS)) {
      deletes.delete(key);
    }
    await deletes.commit();
  }
}

/** Set a member record and move its due key and status counter. */
function setMember(
  op: Deno.AtomicOperation,
  counters: Map<string, number>,
  ref: { organizationNumber: string; idKey: string },
  old: DueAndStatus | undefined,
  state: DueAndStatus,
  record: MemberValue,
): void {
  const { organizationNumber, idKey } = ref;
  op.set(memberKey(organizationNumber, idKey), record);
  const oldDue = old?.nextRetryAt;
  if (oldDue !== state.nextRetryAt) {
    if (oldDue) op.delete(dueKey(oldDue, organizationNumber, idKey));
    if (state.nextRetryAt) {
      op.set(dueKey(state.nextRetryAt, organizationNumber, idKey), 1);
    }
  }
  if (old?.status !== state.status) {
    if (old) bump(counters, organizationNumber, old.status, -1);
    bump(counters, organizationNumber, state.status, +1);
  }
}

function sumCounters(
  op: Deno.AtomicOperation,
  counters: Map<string, number>,
): void {
  for (const [name, delta] of counters) {
    if (delta === 0) continue;
    const [organizationNumber, status] = name.split("\u0000");
    // KvU64 sums wrap modulo 2^64, so adding 2^64 - n subtracts n.
    const amount = delta > 0 ? BigInt(delta) : U64 + BigInt(delta);
    op.sum(countKey(organizationNumber, status), amount);
  }
}

/**
 * A generous estimate of a record's size in KV: the key, and the value at
 * up to three bytes a character.
 */
function estimatedBytes(value: MemberValue): number {
  return 120 + 3 * value.length;
}

function bump(
  counters: Map<string, number>,
  organizationNumber: string,
  status: string,
  delta: number,
): void {
  const name = `${organizationNumber}\u0000${status}`;
  counters.set(name, (counters.get(name) ?? 0) + delta);
}
