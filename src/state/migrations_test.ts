import assert from "node:assert/strict";
import { contentHash } from "./content_hash.ts";
import { schemaKey } from "./keys.ts";
import type { MemberValue } from "./member_record.ts";
import type { MemberState } from "./member_state.ts";
import { openStateStore } from "./store.ts";
import { testMember } from "./_test_members.ts";
import { withFailingCommits } from "./_test_kv.ts";

Deno.test("a schema 1 store is upgraded: member objects become encoded values, and read the same", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const members = Array.from({ length: 1203 }, (_, i) => testMember(i));
    const v1 = members.map((m): MemberState => ({
      ...m,
      masked: m.nationalId.slice(0, 6) + "*****",
      contentHash: contentHash(m),
      status: "stored",
      lastOutcome: "stored",
      attempts: 1,
      lastAttemptAt: "2025-03-01T02:00:00.000Z",
      lastRunId: "r1",
    }));
    await kv.set(schemaKey, 1);
    await kv.set(["meta", "id-key"], { mode: "plain", fingerprint: "" });
    for (let i = 0; i < v1.length; i += 300) {
      const op = kv.atomic();
      for (const state of v1.slice(i, i + 300)) {
        op.set(["member", state.organizationNumber, state.nationalId], state);
      }
      await op.commit();
    }

    const store = await openStateStore({ kv });
    assert.equal((await kv.get(schemaKey)).value, 2);
    let encoded = 0;
    for await (const entry of kv.list({ prefix: ["member"] })) {
      if (typeof entry.value === "string") encoded++;
    }
    assert.equal(encoded, members.length);

    const read = await store.getMembers([members[0], members[1202]]);
    assert.deepEqual(read.map((r) => r?.state), [v1[0], v1[1202]]);
    const [again] = await store.planBatch([members[5]]);
    assert.equal(again.decision, "skip-unchanged");
  } finally {
    kv.close();
  }
});

Deno.test("the upgrade leaves records already in the new form alone", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = await openStateStore({ kv });
    const member = testMember(1);
    await store.recordOutcomes([{
      member,
      hash: contentHash(member),
      outcome: "stored",
    }]);
    const before = await kv.get<MemberValue>([
      "member",
      member.organizationNumber,
      member.nationalId,
    ]);
    await kv.set(schemaKey, 1);
    await openStateStore({ kv });
    const after = await kv.get<MemberValue>(before.key);
    assert.equal(after.versionstamp, before.versionstamp);
  } finally {
    kv.close();
  }
});

Deno.test("an upgrade cut short has already marked the new schema, and the next open finishes it", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const members = Array.from({ length: 250 }, (_, i) => testMember(i));
    await kv.set(schemaKey, 1);
    await kv.set(["meta", "id-key"], { mode: "plain", fingerprint: "" });
    for (const m of members) {
      await kv.set(
        ["member", m.organizationNumber, m.nationalId],
        {
          ...m,
          masked: m.nationalId.slice(0, 6) + "*****",
          contentHash: contentHash(m),
          status: "stored",
          attempts: 1,
        } satisfies MemberState,
      );
    }
    // The second rewrite commit fails, as when another process holds the file.
    const busy = withFailingCommits(
      kv,
      (commit) =>
        commit === 3 ? new TypeError("database is locked") : undefined,
    );
    await assert.rejects(openStateStore({ kv: busy }), /database is locked/);
    assert.equal((await kv.get(schemaKey)).value, 2, "older code refuses it");
    assert.equal((await kv.get(["meta", "migrating"])).value, 1);

    const store = await openStateStore({ kv });
    assert.equal((await kv.get(["meta", "migrating"])).versionstamp, null);
    for await (const entry of kv.list({ prefix: ["member"] })) {
      assert.equal(typeof entry.value, "string");
    }
    const [read] = await store.getMembers([members[200]]);
    assert.equal(read?.state.status, "stored");
  } finally {
    kv.close();
  }
});
