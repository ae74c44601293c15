/**
 * Ending memberships of members absent from a full export (`--full`).
 *
 * A member who was sent before and is missing from tonight's complete list
 * has left: Helsenorge gets the membership again with its period ending
 * today (or earlier, if it already ended), and the member is marked `ended`.
 * Members Helsenorge never held (not consented, invalid) are only marked.
 *
 * A safety brake refuses the whole step when any organization would lose
 * more than `maxEndShare` of its members in one run: a truncated export must
 * not wipe a membership list.
 *
 * @module
 */

import { memberOutcomes, membersBundle } from "../fhir/members_bundle.ts";
import type { Member } from "../input/member.ts";
import { D_NUMMER_SYSTEM } from "../identifiers/systems.ts";
import type { MemberStatus, StoredMember } from "../state/member_state.ts";
import type { StateStore } from "../state/store.ts";
import type { MembersTarget } from "./member_sender.ts";

export interface EndMembershipsOptions {
  state: StateStore;
  runId: string;
  target: MembersTarget;
  /** Organizations the export covered: only their members can end. */
  organizations: Iterable<string>;
  /** `YYYY-MM-DD`: the end date for memberships still running. */
  today: string;
  /** Largest share of an organization's members one run may end. @default 0.2 */
  maxEndShare?: number;
  allowMassEnd?: boolean;
  batchSize?: number;
  now: () => Date;
}

export type EndMembershipsResult =
  & ({ ok: true; ended: number; failed: number } | {
    ok: false;
    refused: string;
  })
  & {
    /** Member calls made to end memberships. */
    calls: number;
    /** Organizations the export did not cover, and the like. */
    notes: string[];
  };

/** End absent members' memberships; see the module docs. */
export async function endAbsentMembers(
  options: EndMembershipsOptions,
): Promise<EndMembershipsResult> {
  const {
    state,
    runId,
    organizations,
    maxEndShare = 0.2,
    allowMassEnd = false,
    batchSize = 200,
  } = options;

  const counts = await state.memberCounts();
  const orgs = [...organizations];
  const notes: string[] = [];
  if (orgs.length === 0) {
    notes.push(
      "the full export held no valid members, so no membership was ended",
    );
  }
  for (const [org, byStatus] of Object.entries(counts)) {
    const tracked = trackedCount(byStatus);
    if (tracked > 0 && !orgs.includes(org)) {
      notes.push(
        `organization ${org} is not in this full export, so none of its ${tracked} members were ended`,
      );
    }
  }
  if (!allowMassEnd) {
    for (const org of orgs) {
      const byStatus = counts[org];
      if (!byStatus) continue;
      const tracked = trackedCount(byStatus);
      let absent = 0;
      for await (const _ of state.membersNotSeenInRun(org, runId)) absent++;
      if (tracked > 0 && absent / tracked > maxEndShare) {
        return {
          ok: false,
          calls: 0,
          notes,
          refused:
            `refused to end ${absent} of ${tracked} memberships of organization ${org} (${
              Math.round(absent / tracked * 100)
            } %) in one run; the limit is ${
              Math.round(maxEndShare * 100)
            } %. Check that the export is complete, or pass --allow-mass-end`,
        };
      }
    }
  }

  let ended = 0;
  let failed = 0;
  let calls = 0;
  for (const org of orgs) {
    let batch: StoredMember[] = [];
    const flush = async () => {
      const result = await endBatch(options, batch);
      ended += result.ended;
      failed += result.failed;
      calls += result.calls;
      batch = [];
    };
    for await (const member of state.membersNotSeenInRun(org, runId)) {
      batch.push(member);
      if (batch.length >= batchSize) await flush();
    }
    if (batch.length > 0) await flush();
  }
  return { ok: true, ended, failed, calls, notes };
}

/** Members whose membership a full run could end: all but the ended. */
function trackedCount(byStatus: Record<MemberStatus, number>): number {
  return byStatus.stored + byStatus.pending + byStatus["not-consented"] +
    byStatus.invalid;
}

async function endBatch(
  options: EndMembershipsOptions,
  members: StoredMember[],
): Promise<{ ended: number; failed: number; calls: number }> {
  const { state, runId, target, today, now } = options;
  // Today, unless it ended earlier; never before it started (a membership
  // that had not begun ends on its first day).
  const endOf = ({ state: s }: StoredMember) => {
    const end = s.end < today ? s.end : today;
    return end < s.start ? s.start : end;
  };

  // Helsenorge holds (or may hold) only stored and pending members.
  const held: StoredMember[] = [];
  const ends: { member: StoredMember; end: string }[] = [];
  for (const member of members) {
    const status = member.state.status;
    if (status === "stored" || status === "pending") held.push(member);
    else ends.push({ member, end: endOf(member) });
  }

  let failed = 0;
  let calls = 0;
  // Journaled like any batch sent (src/state/journal.ts): a run killed
  // before the ends are recorded leaves them to be booked pending and sent
  // again, rather than stored here with the old end while Helsenorge holds
  // the new one.
  let journal: Deno.KvKey[] = [];
  if (held.length > 0) {
    calls++;
    const sent = held.map((m) => storedToMember(m, endOf(m)));
    journal = await state.journalBatch(runId, sent);
    const { bundle, entryMembers } = membersBundle(sent);
    const response = await target(bundle).catch(() => undefined);
    if (response === undefined) {
      failed += held.length;
    } else {
      const byId = new Map(held.map((m) => [m.state.nationalId, m]));
      for (const [member, outcome] of memberOutcomes(entryMembers, response)) {
        if (outcome.kind === "failed") failed++;
        else {ends.push({
            member: byId.get(member.nationalId)!,
            end: member.end,
          });}
      }
    }
  }
  await state.markEnded(ends, { runId, now: now() });
  if (journal.length > 0) await state.clearJournal(journal);
  return { ended: ends.length, failed, calls };
}

/** A stored member as a member to send again (retries, ends). */
export function storedToMember(
  stored: StoredMember,
  end: string = stored.state.end,
): Member {
  const s = stored.state;
  return {
    row: s.row ?? 0,
    nationalId: s.nationalId,
    idKind: s.idSystem === D_NUMMER_SYSTEM ? "dnr" : "fnr",
    idSystem: s.idSystem,
    organizationNumber: s.organizationNumber,
    start: s.start,
    end,
  };
}
