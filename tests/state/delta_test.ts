// Issue 4, must show 1: a second sync of the same export sends nothing, and a
// changed member is the only one sent.

import assert from "node:assert/strict";
import {
  createHarness,
  exportCopy,
  FIXTURE,
  heldEnd,
  idsIn,
  memberCalls,
  memberOnRow,
  SAMPLE_MEMBERS,
  totals,
} from "./_harness.ts";

Deno.test("a second sync of the same export sends no member and reports all unchanged", async () => {
  const h = await createHarness();
  try {
    const first = await h.sync(FIXTURE);
    assert.equal(first.members.stored, SAMPLE_MEMBERS);
    assert.equal(first.members.unchanged, 0);
    assert.equal(h.mock.store.list("Patient").length, SAMPLE_MEMBERS);
    const callsAfterFirst = memberCalls(h.mock).length;
    assert.ok(callsAfterFirst > 0);

    const second = await h.sync(FIXTURE);
    assert.equal(second.members.read, 43);
    assert.equal(second.members.unchanged, SAMPLE_MEMBERS);
    assert.equal(second.members.batches, 0);
    assert.equal(second.members.stored, 0);
    assert.equal(second.members.notConsented, 0);
    assert.equal(second.members.notDue, 0);
    // Only the three bad rows keep it from exit 0.
    assert.equal(second.members.invalid, 3);
    assert.equal(second.exitCode, 1);
    assert.equal(memberCalls(h.mock).length, callsAfterFirst);
    assert.equal((await totals(h.state)).stored, SAMPLE_MEMBERS);
  } finally {
    h.close();
  }
});

Deno.test("changing one member's end date sends exactly that member", async () => {
  const h = await createHarness();
  const changed = await memberOnRow(4);
  const path = await exportCopy((lines) =>
    lines.map((line, i) =>
      i + 1 === 4 ? line.replace(/31\.12\.2026$/, "30.09.2026") : line
    )
  );
  try {
    await h.sync(FIXTURE);
    const callsBefore = memberCalls(h.mock).length;
    const sentBefore = h.sent.length;
    assert.equal(
      heldEnd(h.mock, changed.nationalId, changed.organizationNumber),
      "2026-12-31",
    );

    const report = await h.sync(path);
    assert.equal(report.members.stored, 1);
    assert.equal(report.members.unchanged, SAMPLE_MEMBERS - 1);
    assert.equal(report.members.batches, 1);

    const calls = memberCalls(h.mock).slice(callsBefore);
    assert.deepEqual(calls.map((call) => call.entries), [1]);
    const bundles = h.sent.slice(sentBefore);
    assert.equal(bundles.length, 1);
    assert.deepEqual(idsIn(bundles[0]), [changed.nationalId]);
    assert.equal(
      heldEnd(h.mock, changed.nationalId, changed.organizationNumber),
      "2026-09-30",
    );

    // And the changed export, synced again, is unchanged in turn.
    const again = await h.sync(path);
    assert.equal(again.members.unchanged, SAMPLE_MEMBERS);
    assert.equal(again.members.batches, 0);
  } finally {
    h.close();
    await Deno.remove(path);
  }
});
