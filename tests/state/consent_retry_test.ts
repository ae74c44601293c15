// Issue 4, must show 3: members who have not consented are kept with a next
// retry, left alone before it, and stored by the retry job after it.

import assert from "node:assert/strict";
import { retryDueMembers } from "../../src/sync/retry_due.ts";
import {
  createHarness,
  FIXTURE,
  idsIn,
  memberCalls,
  memberOnRow,
  memberState,
  SAMPLE_MEMBERS,
  totals,
} from "./_harness.ts";

const DAY = 24 * 60 * 60_000;

Deno.test("not-consented members are retried only when due, then stored", async () => {
  // Row 7 is a D-nummer, rows 2 and 4 are in different organizations.
  const refusing = await Promise.all([2, 4, 7].map(memberOnRow));
  const ids = refusing.map((m) => m.nationalId);
  const h = await createHarness({
    start: "2026-06-15T08:00:00.000Z",
    mock: { notConsented: ids, notConsentedFraction: 0 },
  });
  const t0 = h.clock.now();
  const retry = () =>
    retryDueMembers({
      state: h.state,
      target: (bundle) => h.target.members(bundle),
      lease: { holder: "retry-test" },
      now: h.clock.now,
    });
  try {
    const first = await h.sync(FIXTURE);
    assert.equal(first.members.notConsented, 3);
    assert.equal(first.members.stored, SAMPLE_MEMBERS - 3);
    const due = new Date(t0.getTime() + DAY).toISOString();
    for (const m of refusing) {
      const s = await memberState(h.state, m.nationalId, m.organizationNumber);
      assert.equal(s?.status, "not-consented");
      assert.equal(s?.nextRetryAt, due);
      assert.equal(s?.attempts, 1);
    }
    const before = await totals(h.state);
    assert.equal(before["not-consented"], 3);
    assert.equal(before.stored, SAMPLE_MEMBERS - 3);
    const summary = await h.state.statusSummary();
    assert.equal(summary.due.now, 0);
    assert.deepEqual(summary.due.next, [due, due, due]);

    // Helsenorge now has their consent.
    const config = await h.mock.app.request("/_mock/config", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ notConsented: [] }),
    });
    assert.equal(config.status, 200);
    const callsBefore = memberCalls(h.mock).length;

    // Before the due time: the retry job sends nothing, nor does a sync.
    h.clock.set(new Date(t0.getTime() + DAY - 1000).toISOString());
    const early = await retry();
    assert.equal(early.members.read, 0);
    assert.equal(early.members.batches, 0);
    const resync = await h.sync(FIXTURE);
    assert.equal(resync.members.notDue, 3);
    assert.equal(resync.members.unchanged, SAMPLE_MEMBERS - 3);
    assert.equal(resync.members.batches, 0);
    assert.equal(memberCalls(h.mock).length, callsBefore);
    assert.equal((await totals(h.state))["not-consented"], 3);

    // At the due time: exactly those three are sent and stored.
    h.clock.set(due);
    const sentBefore = h.sent.length;
    const late = await retry();
    assert.equal(late.members.read, 3);
    assert.equal(late.members.stored, 3);
    assert.equal(late.exitCode, 0);
    assert.deepEqual(
      h.sent.slice(sentBefore).flatMap(idsIn).sort(),
      [...ids].sort(),
    );
    for (const m of refusing) {
      const s = await memberState(h.state, m.nationalId, m.organizationNumber);
      assert.equal(s?.status, "stored");
      assert.equal(s?.nextRetryAt, undefined);
      assert.ok(h.mock.store.find("Patient", m.nationalId));
    }
    const after = await totals(h.state);
    assert.equal(after["not-consented"], 0);
    assert.equal(after.stored, SAMPLE_MEMBERS);
    assert.equal(h.mock.store.list("Patient").length, SAMPLE_MEMBERS);

    // Nothing is left to retry, however late.
    const later = new Date(t0.getTime() + 30 * DAY);
    assert.equal((await h.state.statusSummary(later)).due.now, 0);
  } finally {
    h.close();
  }
});

Deno.test("a member still not consented at its retry is kept with a later retry", async () => {
  const refusing = await memberOnRow(5);
  const h = await createHarness({
    mock: { notConsented: [refusing.nationalId], notConsentedFraction: 0 },
  });
  try {
    await h.sync(FIXTURE);
    h.clock.advance(DAY);
    const report = await retryDueMembers({
      state: h.state,
      target: (bundle) => h.target.members(bundle),
      now: h.clock.now,
    });
    assert.equal(report.members.notConsented, 1);
    const s = await memberState(
      h.state,
      refusing.nationalId,
      refusing.organizationNumber,
    );
    assert.equal(s?.status, "not-consented");
    assert.equal(s?.attempts, 2);
    assert.equal(
      s?.nextRetryAt,
      new Date(h.clock.now().getTime() + DAY).toISOString(),
    );
    assert.equal((await totals(h.state))["not-consented"], 1);
  } finally {
    h.close();
  }
});
