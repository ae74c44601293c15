import assert from "node:assert/strict";
import { contentHash } from "./content_hash.ts";
import type { MemberRef, Outcome } from "./member_state.ts";
import { openStateStore, type StateStore } from "./store.ts";
import { testMember } from "./_test_members.ts";
import { withFailingCommits } from "./_test_kv.ts";

const T0 = new Date("2025-03-01T02:00:00.000Z");
const ORG = testMember(0).organizationNumber;

async function withKv(
  fn: (
    kv: Deno.Kv,
    open: (writeBehind?: number) => Promise<StateStore>,
  ) => Promise<void>,
) {
  const kv = await Deno.openKv(":memory:");
  try {
    await fn(
      kv,
      (writeBehind) => openStateStore({ kv, now: () => T0, writeBehind }),
    );
  } finally {
    kv.close();
  }
}

function results(members: readonly MemberRef[], outcome: Outcome) {
  return members.map((member) => ({
    member,
    hash: contentHash(member),
    outcome,
    reason: outcome === "stored" ? undefined : "why",
  }));
}

async function countKeys(kv: Deno.Kv, prefix: string): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix: [prefix] })) n++;
  return n;
}

const members = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => testMember(from + i));

Deno.test("under the lease outcomes are held until a flush, and reads through the store see them", async () => {
  await withKv(async (kv, open) => {
    const store = await open();
    assert.ok((await store.acquireLease("sync", "test", 60_000)).ok);
    const batch = members(20);
    await store.recordOutcomes(results(batch, "stored"), { runId: "r1" });
    assert.equal(await countKeys(kv, "member"), 0, "held, not yet written");

    const [read] = await store.getMembers([batch[3]]);
    assert.equal(read?.state.status, "stored");
    assert.equal(await countKeys(kv, "member"), 20, "a read writes first");
    const counts = await store.memberCounts();
    assert.equal(counts[ORG].stored, 20);
  });
});

Deno.test("held writes are flushed sorted once writeBehind members are held, and on release", async () => {
  await withKv(async (kv, open) => {
    const store = await open(10);
    assert.ok((await store.acquireLease("sync", "test", 60_000)).ok);
    for (let i = 0; i < 25; i += 5) {
      await store.recordOutcomes(results(members(5, i), "stored"), {
        runId: "r1",
      });
    }
    // Flushes run in the background: wait for the second to land.
    for (let i = 0; i < 200 && await countKeys(kv, "member") < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(await countKeys(kv, "member"), 20, "two flushes of 10");
    await store.releaseLease("sync", "test");
    assert.equal(await countKeys(kv, "member"), 25, "the rest on release");
  });
});

Deno.test("a member written twice while held is written once, with its counters and due key moved from what the KV had", async () => {
  await withKv(async (kv, open) => {
    const store = await open();
    const [member] = members(1);
    await store.recordOutcomes(results([member], "not-consented"));
    assert.equal(await countKeys(kv, "due"), 1);

    assert.ok((await store.acquireLease("sync", "test", 60_000)).ok);
    await store.recordOutcomes(results([member], "failed"), { runId: "r2" });
    await store.recordOutcomes(results([member], "stored"), { runId: "r2" });
    await store.releaseLease("sync", "test");

    const [record] = await store.getMembers([member]);
    assert.equal(record?.state.status, "stored");
    assert.equal(record?.state.nextRetryAt, undefined);
    assert.equal(await countKeys(kv, "due"), 0, "the old due key is gone");
    const org = (await store.memberCounts())[ORG];
    assert.deepEqual(
      [org.stored, org["not-consented"], org.pending],
      [1, 0, 0],
    );
  });
});

Deno.test("a flush of many due changes stays within KV's limits per commit", async () => {
  await withKv(async (kv, open) => {
    const store = await open();
    const many = members(1500);
    await store.recordOutcomes(results(many, "not-consented"));
    assert.ok((await store.acquireLease("sync", "test", 60_000)).ok);
    // Each member: record, old due key deleted, new due key set.
    await store.recordOutcomes(results(many, "failed"), { runId: "r2" });
    await store.flush();
    assert.equal(await countKeys(kv, "due"), 1500);
    const org = (await store.memberCounts())[ORG];
    assert.equal(org.pending, 1500);
    assert.equal(org["not-consented"], 0);
  });
});

Deno.test("a journal entry is cleared only once the outcomes it answers are written", async () => {
  await withKv(async (kv, open) => {
    const store = await open();
    assert.ok((await store.acquireLease("sync", "test", 60_000)).ok);
    const batch = members(3);
    const journal = await store.journalBatch("r1", batch);
    await store.recordOutcomes(results(batch, "stored"), { runId: "r1" });
    await store.clearJournal(journal);
    assert.equal(await countKeys(kv, "inflight"), 1, "outcomes still held");
    await store.flush();
    assert.equal(await countKeys(kv, "inflight"), 0);
    assert.equal(await countKeys(kv, "member"), 3);
  });
});

Deno.test("a run that dies with outcomes held leaves its journal, and the next run books those members pending", async () => {
  await withKv(async (kv, open) => {
    const dying = await open();
    assert.ok((await dying.acquireLease("sync", "dying", 1)).ok);
    const batch = members(4);
    const journal = await dying.journalBatch("r1", batch);
    await dying.recordOutcomes(results(batch, "stored"), { runId: "r1" });
    await dying.clearJournal(journal);
    // The process dies here: nothing flushed, the lease runs out.

    const next = await open();
    const later = new Date(T0.getTime() + 1000);
    assert.ok((await next.acquireLease("sync", "next", 60_000, later)).ok);
    assert.equal(await next.recoverInterrupted(), 4);
    await next.releaseLease("sync", "next");
    const records = await next.getMembers(batch);
    assert.deepEqual(records.map((r) => r?.state.status), [
      "pending",
      "pending",
      "pending",
      "pending",
    ]);
    assert.equal(await countKeys(kv, "inflight"), 0);
  });
});

Deno.test("writeBehind must be a whole number of members", async () => {
  await withKv(async (_, open) => {
    await assert.rejects(() => open(0), RangeError);
    await assert.rejects(() => open(1.5), RangeError);
  });
});

Deno.test("a member written again while its first write is still being flushed moves its counters once", async () => {
  await withKv(async (kv, open) => {
    const store = await open(5);
    assert.ok((await store.acquireLease("sync", "test", 60_000)).ok);
    const batch = members(5);
    await store.recordOutcomes(results(batch, "not-consented"), {
      runId: "r1",
    }); // five held: a flush starts
    await store.recordOutcomes(results(batch, "stored"), { runId: "r1" });
    await store.releaseLease("sync", "test");
    const org = (await store.memberCounts())[ORG];
    assert.deepEqual([org.stored, org["not-consented"]], [5, 0]);
    assert.equal(await countKeys(kv, "due"), 0);
  });
});

Deno.test("a background flush that fails is reported by the next flush, and its journal entries stay", async () => {
  await withKv(async (kv, _) => {
    let failCommits = false;
    const failing = withFailingCommits(
      kv,
      () => failCommits ? new Error("disk full") : undefined,
    );
    const store = await openStateStore({
      kv: failing,
      now: () => T0,
      writeBehind: 3,
    });
    assert.ok((await store.acquireLease("sync", "test", 60_000)).ok);
    const batch = members(3);
    const journal = await store.journalBatch("r1", batch);
    failCommits = true;
    await store.recordOutcomes(results(batch, "stored"), { runId: "r1" });
    failCommits = false;
    // Refused, or deferred to a flush: either way the entry is not deleted.
    await store.clearJournal(journal).catch(() => {});
    await assert.rejects(() => store.flush(), /disk full/);
    assert.equal(await countKeys(kv, "member"), 0);
    assert.equal(await countKeys(kv, "inflight"), 1, "the journal remains");
    await store.flush(); // reported once
  });
});

Deno.test("discardHeld() forgets held writes and leaves their journal entries for the next run", async () => {
  await withKv(async (kv, open) => {
    const store = await open();
    assert.ok((await store.acquireLease("sync", "test", 60_000)).ok);
    const batch = members(2);
    const journal = await store.journalBatch("r1", batch);
    await store.recordOutcomes(results(batch, "stored"), { runId: "r1" });
    await store.clearJournal(journal);
    store.discardHeld();
    await store.releaseLease("sync", "test");
    assert.equal(await countKeys(kv, "member"), 0, "nothing written");
    assert.equal(await countKeys(kv, "inflight"), 1, "the journal remains");
  });
});

Deno.test("a run that lost the lease to another run on the same store leaves that run's held writes alone when it lets go", async () => {
  await withKv(async (kv, open) => {
    const store = await open();
    assert.ok((await store.acquireLease("sync", "run-a", 1_000, T0)).ok);
    const later = new Date(T0.getTime() + 5_000);
    assert.ok((await store.acquireLease("sync", "run-b", 60_000, later)).ok);
    await store.recordOutcomes(results(members(10), "stored"), {
      runId: "b",
    });

    assert.equal(await store.releaseLease("sync", "run-a"), false);
    assert.equal(await countKeys(kv, "member"), 0, "run-b's writes still held");
    assert.equal(
      (await kv.get<{ holder: string }>(["lease", "sync"])).value?.holder,
      "run-b",
    );

    assert.equal(await store.releaseLease("sync", "run-b"), true);
    assert.equal(await countKeys(kv, "member"), 10);
  });
});

Deno.test("recovery under the lease books exactly what recovery without it books, and keeps what the old records say", async () => {
  // A store as a dead run "r1" left it: one member answered with the content
  // it sent, one answered before (by "r0") and then sent changed, one with an
  // earlier refusal sent again, one new, and one in two of its batches.
  const [answered, changed, refused, fresh, twice] = members(5);
  const changedNow = { ...changed, end: "2026-06-30" };
  const refusedNow = { ...refused, end: "2026-06-30" };
  const dead = async (kv: Deno.Kv) => {
    const store = await openStateStore({ kv, now: () => T0 });
    await store.recordOutcomes(results([changed], "stored"), { runId: "r0" });
    await store.recordOutcomes(results([refused], "invalid"), { runId: "r0" });
    await store.journalBatch("r1", [answered, changedNow, refusedNow, twice]);
    await store.journalBatch("r1", [fresh, twice]);
    await store.recordOutcomes(results([answered], "stored"), { runId: "r1" });
  };
  const recovered = async (leased: boolean) => {
    const kv = await Deno.openKv(":memory:");
    try {
      await dead(kv);
      const store = await openStateStore({ kv, now: () => T0 });
      if (leased) {
        assert.ok((await store.acquireLease("sync", "next", 60_000)).ok);
      }
      const marked = await store.recoverInterrupted();
      if (leased) await store.releaseLease("sync", "next");
      const records = await store.getMembers([
        answered,
        changedNow,
        refusedNow,
        fresh,
        twice,
      ]);
      return {
        marked,
        states: records.map((
          r,
        ) => [r?.state.status, r?.state.end, r?.state.reason]),
        inflight: await countKeys(kv, "inflight"),
        counts: (await store.memberCounts())[ORG],
      };
    } finally {
      kv.close();
    }
  };

  const without = await recovered(false);
  const under = await recovered(true);
  assert.deepEqual(under, without);
  assert.equal(under.inflight, 0);
  assert.deepEqual(under.states, [
    ["stored", answered.end, undefined],
    ["pending", "2026-06-30", undefined],
    ["pending", "2026-06-30", "why"],
    ["pending", fresh.end, undefined],
    ["pending", twice.end, undefined],
  ]);
  assert.equal(under.counts.pending, 4);
  assert.equal(under.counts.stored, 1);
});
