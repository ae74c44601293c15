/**
 * Members due for a retry, found through the `due` index: a range scan up
 * to now, never a scan of all members.
 *
 * @module
 */

import { readMembers } from "./_member_writes.ts";
import type { StoredMember } from "./member_state.ts";

/**
 * Members whose `nextRetryAt` is at or before `now`, earliest first, with
 * everything needed to send them again (`state` holds the national id, id
 * system, organization number, start, end and row).
 */
export async function* dueMembers(
  kv: Deno.Kv,
  now: Date,
  limit?: number,
): AsyncGenerator<StoredMember> {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new RangeError(
      `Cannot list due members: limit ${limit} is not a positive integer`,
    );
  }

  const iso = now.toISOString();
  // ["due", iso + "\0"] is above every ["due", iso, ...] key: inclusive of now.
  const entries = kv.list(
    { start: ["due"], end: ["due", iso + "\0"] },
    { limit, batchSize: 200 },
  );
  let refs: { organizationNumber: string; idKey: string; at: string }[] = [];
  const flush = async function* () {
    const found = await readMembers(kv, refs);
    for (const [index, member] of found.entries()) {
      // The index is written with the record, so they agree; stay defensive.
      if (member && member.state.nextRetryAt === refs[index].at) yield member;
    }
    refs = [];
  };
  for await (const entry of entries) {
    const [, at, organizationNumber, idKey] = entry.key as string[];
    refs.push({ at, organizationNumber, idKey });
    if (refs.length === 200) yield* flush();
  }
  yield* flush();
}

/** How many members are due at `now`, counting at most `cap`. */
export async function countDue(
  kv: Deno.Kv,
  now: Date,
  cap: number,
): Promise<{ count: number; capped: boolean }> {
  let count = 0;
  const iso = now.toISOString();
  for await (
    const _ of kv.list(
      { start: ["due"], end: ["due", iso + "\0"] },
      { limit: cap + 1, batchSize: 1000 },
    )
  ) count++;
  return { count: Math.min(count, cap), capped: count > cap };
}

/** The next `n` retry times after `now`. */
export async function nextDueTimes(
  kv: Deno.Kv,
  now: Date,
  n: number,
): Promise<string[]> {
  const times: string[] = [];
  const iso = now.toISOString();
  for await (
    const entry of kv.list({ start: ["due", iso + "\0"], end: ["due\0"] }, {
      limit: n,
    })
  ) times.push(entry.key[1] as string);
  return times;
}

/**
 * The first `limit` members waiting for a retry, due or not, earliest
 * first: the operator page's retry list.
 */
export async function upcomingRetries(
  kv: Deno.Kv,
  limit: number,
): Promise<StoredMember[]> {
  const refs: { organizationNumber: string; idKey: string; at: string }[] = [];
  for await (const entry of kv.list({ prefix: ["due"] }, { limit })) {
    const [, at, organizationNumber, idKey] = entry.key as string[];
    refs.push({ at, organizationNumber, idKey });
  }
  const found = await readMembers(kv, refs);
  return found.filter((member, index): member is StoredMember =>
    member !== undefined && member.state.nextRetryAt === refs[index].at
  );
}
