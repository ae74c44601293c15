/**
 * Which members a run saw, for ending the memberships of members absent
 * from a full export, without holding the export's ids in memory.
 *
 * A run writes a tiny key `["seen", org, runId, idKey]` for every member of
 * the export (expiring on its own after a few days). Member records and seen
 * marks of one organization are both ordered by `idKey`, so the members a
 * run did not see come out of one merge of two range scans: constant memory
 * whatever the size of the organization.
 *
 * @module
 */

import { memberPrefix, seenKey, seenPrefix } from "./keys.ts";
import { decodeMember, type MemberValue } from "./member_record.ts";
import type { StoredMember } from "./member_state.ts";

/** Seen marks expire by themselves after this long. */
export const SEEN_TTL_MS = 3 * 24 * 60 * 60_000;
const MARKS_PER_COMMIT = 1000;

/** Record that the run saw these members of `organizationNumber`. */
export async function markSeen(
  kv: Deno.Kv,
  organizationNumber: string,
  runId: string,
  idKeys: readonly string[],
): Promise<void> {
  for (let i = 0; i < idKeys.length; i += MARKS_PER_COMMIT) {
    const op = kv.atomic();
    for (const idKey of idKeys.slice(i, i + MARKS_PER_COMMIT)) {
      op.set(seenKey(organizationNumber, runId, idKey), 1, {
        expireIn: SEEN_TTL_MS,
      });
    }
    await op.commit();
  }
}

/**
 * Members of the organization the run did not see, in key order. Only
 * meaningful after the run read a complete, full export of the organization.
 * Ended members are left out; the caller decides per status what to do.
 */
export async function* membersNotSeenInRun(
  kv: Deno.Kv,
  organizationNumber: string,
  runId: string,
): AsyncGenerator<StoredMember> {
  const seen = kv.list<number>(
    { prefix: seenPrefix(organizationNumber, runId) },
    { batchSize: 1000 },
  )[Symbol.asyncIterator]();
  let mark = await seen.next();

  const members = kv.list<MemberValue>(
    { prefix: memberPrefix(organizationNumber) },
    { batchSize: 1000 },
  );
  for await (const entry of members) {
    const idKey = entry.key[2] as string;
    while (!mark.done && (mark.value.key[3] as string) < idKey) {
      mark = await seen.next();
    }
    if (!mark.done && mark.value.key[3] === idKey) continue;
    const state = decodeMember(entry.value, organizationNumber);
    if (state.status === "ended") continue;
    yield { idKey, state, versionstamp: entry.versionstamp };
  }
}
