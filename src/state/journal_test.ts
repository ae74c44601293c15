import assert from "node:assert/strict";
import { D_NUMMER_SYSTEM } from "../identifiers/systems.ts";
import { interruptedEntries, journalBatch } from "./journal.ts";
import { testMember } from "./_test_members.ts";

Deno.test("journaled members come back as they were sent, rows and systems included", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const { row: _, ...rowless } = testMember(2);
    const members = [
      testMember(1),
      { ...testMember(3), idSystem: D_NUMMER_SYSTEM },
      rowless,
      { ...testMember(4), idSystem: "urn:example:other" },
    ];
    await journalBatch(kv, "run-1", members);
    const entries = [];
    for await (const entry of interruptedEntries(kv)) entries.push(entry);
    assert.equal(entries.length, 1);
    assert.deepEqual(entries[0].members, members);
    assert.equal(entries[0].key[1], "run-1");
  } finally {
    kv.close();
  }
});

Deno.test("an entry left by an older Medlemsbro, as objects, is read as it is", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const old = [testMember(5), testMember(6)];
    await kv.set(["inflight", "run-0", "batch"], old);
    const entries = [];
    for await (const entry of interruptedEntries(kv)) entries.push(entry);
    assert.deepEqual(entries[0].members, old);
  } finally {
    kv.close();
  }
});

Deno.test("entries come back in the order they were written, not by run id (found by the breaker)", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const member = testMember(1);
    // Run ids are random: the later run may sort first.
    await journalBatch(kv, "z-earlier-run", [member]);
    await journalBatch(kv, "a-later-run", [{ ...member, end: "2027-06-30" }]);
    await journalBatch(kv, "m-latest-run", [{ ...member, end: "2028-06-30" }]);
    const runs = [];
    for await (const entry of interruptedEntries(kv)) runs.push(entry.key[1]);
    assert.deepEqual(runs, ["z-earlier-run", "a-later-run", "m-latest-run"]);
  } finally {
    kv.close();
  }
});
