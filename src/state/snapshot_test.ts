import assert from "node:assert/strict";
import { contentHash } from "./content_hash.ts";
import type { MemberBasis, MemberState } from "./member_state.ts";
import { hash64 } from "../hash64.ts";
import {
  isStandIn,
  MemberSnapshot,
  standInRecord,
  WrittenKeys,
} from "./snapshot.ts";
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

Deno.test("MemberSnapshot.written() updates a member it holds and only remembers a new one, which basis() then asks to read", () => {
  const snapshot = new MemberSnapshot("948554062");
  snapshot.set("held", BASIS);
  const stored: MemberBasis = {
    contentHash: BASIS.contentHash,
    status: "stored",
    lastOutcome: "stored",
    attempts: 1,
    lastRunId: "run-2",
  };
  snapshot.written("held", stored);
  assert.deepEqual(snapshot.basis("held"), {
    ...stored,
    nextRetryAt: undefined,
  });

  const before = snapshot.byteLength;
  for (let i = 0; i < 5_000; i++) snapshot.written(`new-${i}`, stored);
  assert.equal(snapshot.size, 1);
  for (let i = 0; i < 5_000; i++) {
    assert.equal(snapshot.basis(`new-${i}`), undefined, `new-${i}`);
  }
  assert.equal(snapshot.basis("never-written"), null);
  // 4 bytes a slot, not the ~29 of a member held in full.
  assert.ok(
    snapshot.byteLength - before <= 5_000 * 4 * 2,
    `${snapshot.byteLength - before}`,
  );
});

Deno.test("WrittenKeys never forgets a key, and says yes to few it never saw", () => {
  const keys = new WrittenKeys();
  for (let i = 0; i < 200_000; i++) keys.add(hash64(`in-${i}`)[0]);
  for (let i = 0; i < 200_000; i++) {
    assert.ok(keys.has(hash64(`in-${i}`)[0]), `in-${i}`);
  }
  let wrong = 0;
  for (let i = 0; i < 200_000; i++) {
    if (keys.has(hash64(`out-${i}`)[0])) wrong++;
  }
  // 200 000 fingerprints of 2^32: about 9 of 200 000 others collide.
  assert.ok(wrong < 50, `${wrong} false yeses`);
  assert.ok(keys.size <= 200_000 && keys.size > 199_900, `${keys.size}`);
  // A fingerprint of 0 is kept (as 1), not taken for an empty slot.
  keys.add(0);
  assert.ok(keys.has(0));
});
