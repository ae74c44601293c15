import assert from "node:assert/strict";
import { contentHash } from "./content_hash.ts";
import type { MemberRef, MemberState, Outcome } from "./member_state.ts";
import { openStateStore, type StateStore } from "./store.ts";
import { testMember } from "./_test_members.ts";

const T0 = new Date("2025-03-01T02:00:00.000Z");
const DAY = 24 * 3_600_000;
const OTHER_ORG = "974760673";

async function withTwoStores(
  fn: (
    reading: StateStore,
    leased: StateStore,
    kvs: [Deno.Kv, Deno.Kv],
  ) => Promise<void>,
) {
  const kvs: [Deno.Kv, Deno.Kv] = [
    await Deno.openKv(":memory:"),
    await Deno.openKv(":memory:"),
  ];
  try {
    const [reading, leased] = await Promise.all(
      kvs.map((kv) => openStateStore({ kv, now: () => T0 })),
    );
    await fn(reading, leased, kvs);
  } finally {
    kvs.forEach((kv) => kv.close());
  }
}

/** Member records, the due index and the counters, as comparable text. */
async function memberData(kv: Deno.Kv): Promise<string[]> {
  const lines: string[] = [];
  for (const prefix of ["member", "due", "count"]) {
    for await (const { key, value } of kv.list({ prefix: [prefix] })) {
      const shown = value instanceof Deno.KvU64 ? String(value.value) : value;
      lines.push(JSON.stringify([key, shown]));
    }
  }
  return lines;
}

function outcomes(
  members: readonly MemberRef[],
  outcome: (member: MemberRef) => Outcome,
) {
  return members.map((member) => ({
    member,
    hash: contentHash(member),
    outcome: outcome(member),
    reason: outcome(member) === "stored" ? undefined : "why",
  }));
}

/** The same history in a store: every kind of stored state. */
async function history(store: StateStore, members: MemberRef[]) {
  const [stored, changed, notDue, due, invalid, failed, , ended, otherStored] =
    members;
  const earlier = new Date(T0.getTime() - 2 * DAY);
  await store.recordOutcomes(outcomes([due], () => "not-consented"), {
    runId: "r0",
    now: earlier,
  });
  await store.recordOutcomes(
    outcomes(
      [stored, changed, notDue, invalid, failed, ended, otherStored],
      (m) =>
        m === notDue
          ? "not-consented"
          : m === invalid
          ? "invalid"
          : m === failed
          ? "failed"
          : "stored",
    ),
    { runId: "r1", now: new Date(T0.getTime() - DAY / 2) },
  );
  const [endedRecord] = await store.getMembers([ended]);
  await store.markEnded([{ member: endedRecord!, end: "2025-02-27" }], {
    runId: "r1",
  });
}

Deno.test("planning from the snapshot under the lease decides and writes exactly as reading does", async () => {
  await withTwoStores(async (reading, leased, kvs) => {
    const members: MemberRef[] = [
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => testMember(i)),
      ...[8, 9].map((i) => testMember(i, { organizationNumber: OTHER_ORG })),
    ];
    for (const store of [reading, leased]) await history(store, members);
    assert.ok((await leased.acquireLease("sync", "test", 60_000)).ok);

    // Tonight's export: one member's end changed, the rest as they were.
    const exported = members.map((m, i) =>
      i === 1 ? { ...m, end: "2026-06-30" } : m
    );
    const decisions: string[][] = [];
    for (const store of [reading, leased]) {
      const planned = await store.planBatch(exported, { runId: "r2" });
      decisions.push(planned.map((p) => p.decision));
      const toSend = planned.filter((p) => p.decision === "send");
      await store.recordOutcomes(
        outcomes(
          toSend.map((p) => p.member),
          (m) =>
            m === exported[3]
              ? "not-consented"
              : m === exported[5]
              ? "failed"
              : "stored",
        ),
        { runId: "r2", known: toSend.map((p) => p.existing ?? null) },
      );
      // A resend later in the same run, as after a failed call.
      await store.recordOutcomes(outcomes([exported[5]], () => "failed"), {
        runId: "r2",
      });
      decisions.push(
        (await store.planBatch(exported)).map((p) => p.decision),
      );
    }

    assert.deepEqual(decisions[0], [
      "skip-unchanged", // stored
      "send", // changed
      "skip-not-due", // not consented, not due
      "send", // not consented, due
      "skip-unchanged", // invalid
      "send", // failed: pending
      "send", // new
      "send", // ended and back
      "skip-unchanged",
      "send", // new in the other organization
    ]);
    assert.deepEqual(decisions[2], decisions[0]);
    assert.deepEqual(decisions[3], decisions[1]);
    await leased.flush();
    const [a, b] = await Promise.all(kvs.map(memberData));
    assert.deepEqual(b, a);
    assert.ok(a.length > members.length);
  });
});

Deno.test("under the lease an organization is scanned the first time a batch names it, and not trusted after release", async () => {
  await withTwoStores(async (_, store, [, kv]) => {
    const own = testMember(1);
    const other = testMember(2, { organizationNumber: OTHER_ORG });
    assert.ok((await store.acquireLease("sync", "test", 60_000)).ok);
    const [first] = await store.planBatch([own]);
    assert.equal(first.decision, "send");

    // Written behind the store's back before it first names the organization.
    const record: MemberState = {
      ...other,
      contentHash: contentHash(other),
      status: "stored",
      lastOutcome: "stored",
      attempts: 1,
      masked: "",
    };
    await kv.set(["member", OTHER_ORG, other.nationalId], record);
    const [seen] = await store.planBatch([other]);
    assert.equal(seen.decision, "skip-unchanged");

    // Outcomes keep the snapshot true: the member is now unchanged.
    await store.recordOutcomes(outcomes([own], () => "stored"));
    const [again] = await store.planBatch([own]);
    assert.equal(again.decision, "skip-unchanged");

    // Without the lease, another writer may change records: read them.
    await store.releaseLease("sync", "test");
    await kv.set(["member", OTHER_ORG, other.nationalId], {
      ...record,
      contentHash: "0000000000000000",
    });
    const [read] = await store.planBatch([other]);
    assert.equal(read.decision, "send");
  });
});

Deno.test("markPending() after a plan from the snapshot keeps the stored reason", async () => {
  await withTwoStores(async (_, store) => {
    const member = testMember(1);
    await store.recordOutcomes([{
      member,
      hash: contentHash(member),
      outcome: "invalid",
      reason: "refused",
    }]);
    assert.ok((await store.acquireLease("sync", "test", 60_000)).ok);
    const changed = { ...member, end: "2026-06-30" };
    const planned = await store.planBatch([changed]);
    const [pending] = await store.markPending(planned);
    assert.equal(pending.state.status, "pending");
    assert.equal(pending.state.reason, "refused");
    assert.equal(pending.state.nationalId, member.nationalId);
  });
});

Deno.test("under the lease a member first written in the run is planned from its held write, then from the KV", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = await openStateStore({
      kv,
      now: () => T0,
      writeBehind: 1_000,
    });
    assert.ok((await store.acquireLease("sync", "me", 60_000)).ok);
    const members = Array.from({ length: 40 }, (_, i) => testMember(i + 1));
    const planned = await store.planBatch(members, { runId: "r1" });
    assert.deepEqual(
      new Set(planned.map((p) => p.decision)),
      new Set(["send"]),
    );
    await store.recordOutcomes(
      outcomes(members, (m) => m === members[0] ? "not-consented" : "stored"),
      { runId: "r1" },
    );

    const decisions = async () =>
      (await store.planBatch(members, { runId: "r1" })).map((p) => p.decision);
    const expected = members.map((m) =>
      m === members[0] ? "skip-not-due" : "skip-unchanged"
    );
    // Held, not yet in the KV: the snapshot knows only that they were written.
    assert.equal(
      (await kv.get(["count", members[1].organizationNumber, "stored"])).value,
      null,
    );
    assert.deepEqual(await decisions(), expected);
    await store.flush();
    assert.deepEqual(await decisions(), expected);
    // Written again (by a later retry): counted once, attempts carried on
    // from the record the snapshot knew only as written.
    await store.recordOutcomes(outcomes([members[0]], () => "not-consented"), {
      runId: "r2",
    });
    await store.releaseLease("sync", "me");
    const [first] = await store.getMembers([members[0]]);
    assert.equal(first?.state.attempts, 2);
    const counts = await store.recount(members[0].organizationNumber);
    assert.equal(counts["stored"], 39);
    assert.equal(counts["not-consented"], 1);
  } finally {
    kv.close();
  }
});
