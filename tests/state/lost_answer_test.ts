// Issue 4, must show 5 (in-process half): Helsenorge stores a batch but the
// answer never reaches us. Those members must not be marked stored, and the
// next run sends them again, which is safe: the mock keeps one copy.

import assert from "node:assert/strict";
import { ExitCode } from "../../src/sync/report.ts";
import {
  createHarness,
  FIXTURE,
  idsIn,
  memberOnRow,
  memberState,
  SAMPLE_MEMBERS,
  totals,
} from "./_harness.ts";

Deno.test("a batch stored by Helsenorge whose answer is lost stays pending and is resent once", async () => {
  let memberPosts = 0;
  let dropping = true;
  const h = await createHarness({
    // The third member call reaches the mock, which commits it; then the
    // connection "drops" before the answer is read.
    wrapFetch: (fetch) => async (input, init) => {
      const isMembers = typeof init?.body === "string" &&
        init.body.includes('"type":"batch"');
      if (!isMembers || !dropping) return await fetch(input, init);
      const response = await fetch(input, init);
      if (++memberPosts !== 3) return response;
      await response.body?.cancel();
      throw new TypeError("connection reset by peer");
    },
  });
  try {
    // The breaker at 1: this run stops at the lost answer (with the default
    // of 3 it would resend the batch later in the same run).
    const first = await h.sync(FIXTURE, {
      batchSize: 5,
      concurrency: 1,
      breakerFailures: 1,
    });
    assert.equal(first.exitCode, ExitCode.incomplete);
    assert.match(first.stoppedBecause ?? "", /member calls stopped/);
    assert.equal(first.members.stored, 10);
    assert.equal(first.members.failed, 5);
    assert.equal(first.members.notSent, SAMPLE_MEMBERS - 15);

    const dropped = idsIn(h.sent[2]);
    assert.equal(dropped.length, 5);
    // Helsenorge holds them ...
    assert.equal(h.mock.store.list("Patient").length, 15);
    for (const id of dropped) assert.ok(h.mock.store.find("Patient", id));
    // ... but we never heard so: pending, never stored.
    const byId = new Map<string, string>();
    for (let row = 2; row <= 44; row++) {
      const m = await memberOnRow(row);
      byId.set(m.nationalId, m.organizationNumber);
    }
    for (const id of dropped) {
      const s = await memberState(h.state, id, byId.get(id)!);
      assert.equal(s?.status, "pending");
      assert.equal(s?.lastOutcome, "failed");
      assert.ok(s?.nextRetryAt, "a due retry is set");
    }
    const afterDrop = await totals(h.state);
    assert.equal(afterDrop.stored, 10);
    assert.equal(afterDrop.pending, 5);

    dropping = false;
    const sentBefore = h.sent.length;
    const second = await h.sync(FIXTURE, { batchSize: 5, concurrency: 1 });
    assert.equal(second.stoppedBecause, undefined);
    assert.equal(second.members.unchanged, 10);
    assert.equal(second.members.stored, SAMPLE_MEMBERS - 10);
    const resent = h.sent.slice(sentBefore).flatMap(idsIn);
    for (const id of dropped) assert.ok(resent.includes(id), "resent");

    // One Patient per member, each with one membership: the resend was a
    // conditional update, not a second copy.
    const patients = h.mock.store.list("Patient");
    assert.equal(patients.length, SAMPLE_MEMBERS);
    for (const patient of patients) assert.equal(patient.contact?.length, 1);
    for (const id of dropped) {
      assert.equal(h.mock.store.find("Patient", id)?.versionId, 2);
    }
    const done = await totals(h.state);
    assert.equal(done.stored, SAMPLE_MEMBERS);
    assert.equal(done.pending, 0);
  } finally {
    h.close();
  }
});
