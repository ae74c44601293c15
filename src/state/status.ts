/**
 * The status summary: members per status and organization (from counters,
 * not a scan), retries due, and the last runs. No national ids.
 *
 * @module
 */

import { countDue, nextDueTimes } from "./due.ts";
import { countKey, memberPrefix } from "./keys.ts";
import { decodeBasis, type MemberValue } from "./member_record.ts";
import { MEMBER_STATUSES, type MemberStatus } from "./member_state.ts";
import { lastRuns, type RunRecord } from "./runs.ts";

export interface StatusSummary {
  /** Members per status, per organization number. */
  organizations: Record<string, Record<MemberStatus, number>>;
  due: {
    /** Members due now (counted up to `dueCountCap`). */
    now: number;
    capped: boolean;
    /** The next few retry times after now. */
    next: string[];
  };
  runs: RunRecord[];
}

export async function statusSummary(
  kv: Deno.Kv,
  now: Date,
  options: { runs?: number; dueCountCap?: number; nextDue?: number } = {},
): Promise<StatusSummary> {
  const { runs = 5, dueCountCap = 10_000, nextDue = 5 } = options;

  const organizations = await memberCounts(kv);
  const due = await countDue(kv, now, dueCountCap);
  return {
    organizations,
    due: {
      now: due.count,
      capped: due.capped,
      next: await nextDueTimes(kv, now, nextDue),
    },
    runs: await lastRuns(kv, runs),
  };
}

/** Members per status, per organization number, from the counters alone. */
export async function memberCounts(
  kv: Deno.Kv,
): Promise<StatusSummary["organizations"]> {
  const organizations: StatusSummary["organizations"] = {};
  for await (const entry of kv.list<Deno.KvU64>({ prefix: ["count"] })) {
    const [, organizationNumber, status] = entry.key as string[];
    organizations[organizationNumber] ??= emptyCounts();
    organizations[organizationNumber][status as MemberStatus] = toCount(
      entry.value.value,
    );
  }
  return organizations;
}

/**
 * Rebuild one organization's counters from its member records (a full scan
 * of that organization: for repair and migrations, not for every status).
 */
export async function recount(
  kv: Deno.Kv,
  organizationNumber: string,
): Promise<Record<MemberStatus, number>> {
  const counts = emptyCounts();
  for await (
    const entry of kv.list<MemberValue>({
      prefix: memberPrefix(organizationNumber),
    }, { batchSize: 1000 })
  ) counts[decodeBasis(entry.value).status]++;

  const op = kv.atomic();
  for (const status of MEMBER_STATUSES) {
    op.set(
      countKey(organizationNumber, status),
      new Deno.KvU64(BigInt(counts[status])),
    );
  }
  await op.commit();
  return counts;
}

function emptyCounts(): Record<MemberStatus, number> {
  return Object.fromEntries(MEMBER_STATUSES.map((s) => [s, 0])) as Record<
    MemberStatus,
    number
  >;
}

/** A wrapped (negative) counter would mean a bug; show it as 0, not 2^64. */
function toCount(value: bigint): number {
  return value >= 1n << 63n ? 0 : Number(value);
}
