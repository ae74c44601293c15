/**
 * The one way member records are written: in atomic chunks that also keep
 * the due index and the per-organization status counters in step.
 *
 * Each chunk checks the versionstamp of every member it rewrites, so a
 * counter is moved from the status that was really stored; if another
 * writer got there first the chunk is read again and recomputed.
 *
 * Limits (Deno KV, checked on 2.9): 1000 mutations, 100 checks and 800 KiB
 * per atomic operation, 10 keys per `getMany`. A chunk of 100 members uses
 * 100 checks and at most 3 mutations per member plus the counters.
 *
 * @module
 */

import { MedlemsbroError } from "../errors.ts";
import { countKey, dueKey, memberKey } from "./keys.ts";
import type { MemberState, StoredMember } from "./member_state.ts";

/** Members per atomic operation: bounded by the 100-check limit. */
export const WRITE_CHUNK = 100;
/**
 * Members per atomic operation without checks: at most three mutations each
 * plus a few counters stay under the 1000-mutation limit.
 */
export const EXCLUSIVE_WRITE_CHUNK = 300;
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
  const calls: Promise<Deno.KvEntryMaybe<MemberState>[]>[] = [];
  for (let i = 0; i < refs.length; i += GET_MANY_LIMIT) {
    const keys = refs.slice(i, i + GET_MANY_LIMIT)
      .map((ref) => memberKey(ref.organizationNumber, ref.idKey));
    calls.push(kv.getMany<MemberState[]>(keys));
  }
  const entries = (await Promise.all(calls)).flat();
  return entries.map((entry, index) =>
    entry.versionstamp === null ? undefined : {
      idKey: refs[index].idKey,
      state: entry.value,
      versionstamp: entry.versionstamp,
    }
  );
}

/** Options for {@linkcode writeMembers}. */
export interface WriteOptions {
  /**
   * The caller is the only writer (it holds the run lease): skip the
   * versionstamp checks and write larger chunks in key order. Random
   * national ids scatter over the B-tree, and the check limit would force
   * small commits that each dirty many pages: several times slower.
   * @default false
   */
  exclusive?: boolean;
}

/**
 * Apply the updates; returns each member's record after the write (or the
 * unchanged one when `update` answered `undefined`).
 */
export async function writeMembers(
  kv: Deno.Kv,
  updates: readonly MemberUpdate[],
  options: WriteOptions = {},
): Promise<(StoredMember | undefined)[]> {
  const { exclusive = false } = options;
  const size = exclusive ? EXCLUSIVE_WRITE_CHUNK : WRITE_CHUNK;
  const written: (StoredMember | undefined)[] = [];
  for (let i = 0; i < updates.length; i += size) {
    written.push(
      ...await writeChunk(kv, updates.slice(i, i + size), exclusive),
    );
  }
  return written;
}

async function writeChunk(
  kv: Deno.Kv,
  updates: readonly MemberUpdate[],
  exclusive: boolean,
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

    for (const index of inKeyOrder(updates, exclusive)) {
      const u = updates[index];
      const old = current![index];
      const state = next[index];
      if (state === undefined) continue;

      const key = memberKey(u.organizationNumber, u.idKey);
      if (!exclusive) {
        op.check({ key, versionstamp: old?.versionstamp ?? null });
      }
      op.set(key, state);
      const oldDue = old?.state.nextRetryAt;
      if (oldDue !== state.nextRetryAt) {
        if (oldDue) {
          op.delete(dueKey(oldDue, u.organizationNumber, u.idKey));
        }
        if (state.nextRetryAt) {
          op.set(dueKey(state.nextRetryAt, u.organizationNumber, u.idKey), 1);
        }
      }
      if (old?.state.status !== state.status) {
        if (old) bump(counters, u.organizationNumber, old.state.status, -1);
        bump(counters, u.organizationNumber, state.status, +1);
      }
    }

    for (const [name, delta] of counters) {
      if (delta === 0) continue;
      const [organizationNumber, status] = name.split("\u0000");
      // KvU64 sums wrap modulo 2^64, so adding 2^64 - n subtracts n.
      const amount = delta > 0 ? BigInt(delta) : U64 + BigInt(delta);
      op.sum(countKey(organizationNumber, status), amount);
    }

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

/** Indexes of `updates`, sorted by member key when writing exclusively. */
function inKeyOrder(
  updates: readonly MemberUpdate[],
  exclusive: boolean,
): number[] {
  const order = updates.map((_, index) => index);
  if (!exclusive) return order;
  return order.sort((a, b) => {
    const x = updates[a];
    const y = updates[b];
    if (x.organizationNumber !== y.organizationNumber) {
      return x.organizationNumber < y.organizationNumber ? -1 : 1;
    }
    return x.idKey < y.idKey ? -1 : x.idKey > y.idKey ? 1 : 0;
  });
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
