import assert from "node:assert/strict";
import { contentHash } from "./content_hash.ts";
import type { MemberBasis, MemberState } from "./member_state.ts";
import { hash64 } from "../hash64.ts";
import { isStandIn, MemberSnapshot, standInRecord } from "./snapshot.ts";
import { testMember } from "./_test_members.ts";

const BASIS: MemberBasis = {
  contentHash: "00c0ffee12345678",
  status: "not-consented",
  lastOutcome: "not-consented",
  attempts: 3,
  nextRetryAt: "2025-03-02T02:00:00.123Z",
  lastRunId: "run-1",
};

Deno.test("MemberSnapshot.basis() is null for an unknown member and gives back what set() kept", () => {
  const snapshot = new MemberSnapshot("948554062");
  assert.equal(snapshot.basis("a"), null);

  snapshot.set("a", BASIS);
  snapshot.set("b", {
    contentHash: "ffffffff00000000",
    status: "stored",
    lastOutcome: "stored",
    attempts: 1,
  });
  assert.deepEqual(snapshot.basis("a"), BASIS);
  assert.deepEqual(snapshot.basis("b"), {
    contentHash: "ffffffff00000000",
    status: "stored",
    lastOutcome: "stored",
    attempts: 1,
    nextRetryAt: undefined,
    lastRunId: undefined,
  });
  assert.equal(snapshot.size, 2);
});

Deno.test("MemberSnapshot.set() overwrites a member's entry after an outcome", () => {
  const snapshot = new MemberSnapshot("948554062");
  snapshot.set("a", BASIS);
  snapshot.set("a", {
    contentHash: BASIS.contentHash,
    status: "stored",
    lastOutcome: "stored",
    attempts: 1,
    lastRunId: "run-2",
  });
  assert.equal(snapshot.size, 1);
  assert.deepEqual(snapshot.basis("a"), {
    contentHash: BASIS.contentHash,
    status: "stored",
    lastOutcome: "stored",
    attempts: 1,
    nextRetryAt: undefined,
    lastRunId: "run-2",
  });
});

Deno.test("MemberSnapshot keeps apart idKeys whose hashes share the low half", () => {
  // A 32-bit collision turns up after ~2^16 keys (birthday bound).
  const byLow = new Map<number, string>();
  let pair: [string, string] | undefined;
  for (let i = 0; pair === undefined; i++) {
    const key = `k${i}`;
    const [, low] = hash64(key);
    const other = byLow.get(low);
    if (other !== undefined) pair = [other, key];
    else byLow.set(low, key);
  }
  const [first, second] = pair;
  assert.notEqual(hash64(first)[0], hash64(second)[0]);

  const snapshot = new MemberSnapshot("948554062");
  snapshot.set(first, BASIS);
  assert.equal(snapshot.basis(second), null);
  snapshot.set(second, { ...BASIS, attempts: 9 });
  assert.equal((snapshot.basis(first) as MemberBasis).attempts, 3);
  assert.equal((snapshot.basis(second) as MemberBasis).attempts, 9);
});

Deno.test("MemberSnapshot grows from empty past 50 000 members and finds each", () => {
  const snapshot = new MemberSnapshot("948554062");
  for (let i = 0; i < 50_000; i++) {
    snapshot.set(`id-${i}`, { ...BASIS, attempts: i % 1000 });
  }
  assert.equal(snapshot.size, 50_000);
  for (let i = 0; i < 50_000; i++) {
    assert.equal((snapshot.basis(`id-${i}`) as MemberBasis).attempts, i % 1000);
  }
  assert.equal(snapshot.basis("id-50000"), null);
  // About 29 bytes a member plus slots at most 3/4 full.
  assert.ok(snapshot.byteLength < 50_000 * 50, `${snapshot.byteLength}`);
});

Deno.test("MemberSnapshot asks for a read of a record it cannot hold exactly", () => {
  const snapshot = new MemberSnapshot("948554062");
  snapshot.set("short-hash", { ...BASIS, contentHash: "a" });
  snapshot.set("other-time", {
    ...BASIS,
    nextRetryAt: "2025-03-02T02:00:00Z",
  });
  snapshot.set("many", { ...BASIS, attempts: 70_000 });
  snapshot.set("unknown", {
    ...BASIS,
    lastOutcome: "maybe" as MemberBasis["lastOutcome"],
  });
  for (const key of ["short-hash", "other-time", "many", "unknown"]) {
    assert.equal(snapshot.basis(key), undefined, key);
  }
  // Once written exactly, it is held again.
  snapshot.set("many", BASIS);
  assert.deepEqual(snapshot.basis("many"), BASIS);
});

Deno.test("MemberSnapshot.load() scans only its own organization", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const state = (i: number, organizationNumber: string): MemberState => {
      const member = testMember(i, { organizationNumber });
      return {
        ...member,
        ...BASIS,
        contentHash: contentHash(member),
        masked: "",
      };
    };
    await kv.set(["member", "948554062", "a"], state(1, "948554062"));
    await kv.set(["member", "948554062", "b"], state(2, "948554062"));
    await kv.set(["member", "948554063", "a"], state(3, "948554063"));

    const snapshot = await MemberSnapshot.load(kv, "948554062");
    assert.equal(snapshot.size, 2);
    assert.equal(
      (snapshot.basis("b") as MemberBasis).contentHash,
      contentHash(testMember(2)),
    );
    assert.equal(snapshot.basis("c"), null);
  } finally {
    kv.close();
  }
});

Deno.test("standInRecord() is recognized as a stand-in, a read record is not", () => {
  const record = standInRecord("948554062", "a", BASIS);
  assert.ok(isStandIn(record));
  assert.equal(record.state.status, BASIS.status);
  assert.ok(!isStandIn({ versionstamp: "00000000000000010000" }));
  assert.ok(!isStandIn(undefined));
});
