// Issue 4, must show 2: a full export ends exactly the memberships absent
// from it, and the safety brake refuses a mass end unless allowed.

import assert from "node:assert/strict";
import { interruptedEntries } from "../../src/state/journal.ts";
import {
  createHarness,
  exportCopy,
  FIXTURE,
  heldEnd,
  idsIn,
  memberCalls,
  memberOnRow,
  memberState,
  SAMPLE_MEMBERS,
  totals,
  withoutRows,
} from "./_harness.ts";

Deno.test("--full ends the one member absent from the export, on the run's date", async () => {
  const h = await createHarness({ start: "2026-06-15T08:00:00.000Z" });
  const gone = await memberOnRow(3);
  const path = await exportCopy(withoutRows([3]));
  try {
    await h.sync(FIXTURE, { full: true });
    const callsBefore = memberCalls(h.mock).length;
    const sentBefore = h.sent.length;

    h.clock.set("2026-06-20T09:30:00.000Z");
    const report = await h.sync(path, { full: true });
    assert.equal(report.stoppedBecause, undefined);
    assert.equal(report.members.ended, 1);
    assert.equal(report.members.unchanged, SAMPLE_MEMBERS - 1);

    // Exactly one call, carrying exactly the absent member.
    assert.deepEqual(
      memberCalls(h.mock).slice(callsBefore).map((call) => call.entries),
      [1],
    );
    assert.deepEqual(h.sent.slice(sentBefore).map(idsIn), [[
      gone.nationalId,
    ]]);
    assert.equal(
      heldEnd(h.mock, gone.nationalId, gone.organizationNumber),
      "2026-06-20",
    );
    const ended = await memberState(
      h.state,
      gone.nationalId,
      gone.organizationNumber,
    );
    assert.equal(ended?.status, "ended");
    assert.equal(ended?.end, "2026-06-20");

    // Every other member is untouched at the mock.
    const others = h.mock.store.list("Patient").filter((p) =>
      p.identifier![0].value !== gone.nationalId
    );
    assert.equal(others.length, SAMPLE_MEMBERS - 1);
    assert.ok(others.every((p) => p.meta!.versionId === "1"));
    const counts = await totals(h.state);
    assert.equal(counts.ended, 1);
    assert.equal(counts.stored, SAMPLE_MEMBERS - 1);

    // The same short export again ends nobody more.
    const again = await h.sync(path, { full: true });
    assert.equal(again.members.ended, 0);
  } finally {
    h.close();
    await Deno.remove(path);
  }
});

Deno.test("--full keeps an earlier end date when the absent member already ended", async () => {
  const h = await createHarness({ start: "2026-06-15T08:00:00.000Z" });
  // Row 43 runs 01.01.2025 to 30.06.2026.
  const gone = await memberOnRow(43);
  const path = await exportCopy(withoutRows([43]));
  try {
    await h.sync(FIXTURE, { full: true });
    assert.equal(
      heldEnd(h.mock, gone.nationalId, gone.organizationNumber),
      "2026-06-30",
    );

    h.clock.set("2026-08-01T09:00:00.000Z");
    const report = await h.sync(path, { full: true });
    assert.equal(report.members.ended, 1);
    assert.equal(
      heldEnd(h.mock, gone.nationalId, gone.organizationNumber),
      "2026-06-30",
    );
    const ended = await memberState(
      h.state,
      gone.nationalId,
      gone.organizationNumber,
    );
    assert.equal(ended?.status, "ended");
    assert.equal(ended?.end, "2026-06-30");
  } finally {
    h.close();
    await Deno.remove(path);
  }
});

Deno.test("--full refuses to end half the list without allowMassEnd, and ends it with", async () => {
  const h = await createHarness({ start: "2026-06-15T08:00:00.000Z" });
  // Rows 2, 4, ..., 36: 18 distinct valid members of both organizations.
  const removedRows = Array.from({ length: 18 }, (_, i) => 2 + 2 * i);
  const removed = await Promise.all(removedRows.map(memberOnRow));
  const path = await exportCopy(withoutRows(removedRows));
  try {
    await h.sync(FIXTURE, { full: true });
    const callsBefore = memberCalls(h.mock).length;

    h.clock.set("2026-06-20T09:30:00.000Z");
    const refused = await h.sync(path, { full: true });
    assert.equal(refused.exitCode, 3);
    assert.match(
      refused.stoppedBecause ?? "",
      /^refused to end \d+ of \d+ memberships of organization \d{9} \(\d+ %\) in one run; the limit is 20 %\. .*--allow-mass-end$/,
    );
    assert.equal(refused.members.ended, 0);
    assert.equal(refused.members.unchanged, SAMPLE_MEMBERS - 18);
    assert.equal(memberCalls(h.mock).length, callsBefore, "nothing sent");
    for (const m of removed) {
      assert.equal(
        heldEnd(h.mock, m.nationalId, m.organizationNumber),
        "2026-12-31",
      );
    }
    assert.equal((await totals(h.state)).ended, 0);
    assert.equal((await totals(h.state)).stored, SAMPLE_MEMBERS);

    const allowed = await h.sync(path, { full: true, allowMassEnd: true });
    assert.equal(allowed.stoppedBecause, undefined);
    assert.equal(allowed.members.ended, 18);
    for (const m of removed) {
      assert.equal(
        heldEnd(h.mock, m.nationalId, m.organizationNumber),
        "2026-06-20",
      );
      assert.equal(
        (await memberState(h.state, m.nationalId, m.organizationNumber))
          ?.status,
        "ended",
      );
    }
    const kept = h.mock.store.list("Patient").filter((p) =>
      p.contact![0].period!.end !== "2026-06-20"
    );
    assert.equal(kept.length, SAMPLE_MEMBERS - 18);
    const counts = await totals(h.state);
    assert.equal(counts.ended, 18);
    assert.equal(counts.stored, SAMPLE_MEMBERS - 18);
  } finally {
    h.close();
    await Deno.remove(path);
  }
});

Deno.test("--full says so when an organization is missing from the export, and ends none of its members", async () => {
  const h = await createHarness({ start: "2026-06-15T08:00:00.000Z" });
  // Keep the header and the rows of organization 974 760 673 only.
  const path = await exportCopy((lines) =>
    lines.filter((line, i) => i === 0 || /974 ?760 ?673/.test(line))
  );
  try {
    await h.sync(FIXTURE, { full: true });
    const callsBefore = memberCalls(h.mock).length;
    const report = await h.sync(path, { full: true, allowMassEnd: true });
    assert.equal(report.members.ended, 0);
    assert.equal(memberCalls(h.mock).length, callsBefore);
    assert.ok(
      report.notes?.some((note) =>
        /organization 948554062 is not in this full export/.test(note)
      ),
      JSON.stringify(report.notes),
    );
  } finally {
    h.close();
    await Deno.remove(path);
  }
});

Deno.test("--full journals the ends it sends, so a run killed before booking them has them sent again", async () => {
  const h = await createHarness({ start: "2026-06-15T08:00:00.000Z" });
  const gone = await memberOnRow(3);
  const path = await exportCopy(withoutRows([3]));
  try {
    await h.sync(FIXTURE, { full: true });
    h.clock.set("2026-06-20T09:30:00.000Z");

    // Look into the journal while the ending call is on its way.
    const inFlight: { nationalId: string; end: string }[] = [];
    const send = h.target.members;
    h.target.members = async (bundle, observe) => {
      for await (const entry of interruptedEntries(h.state.kv)) {
        inFlight.push(...entry.members);
      }
      return await send(bundle, observe);
    };
    const report = await h.sync(path, { full: true });
    assert.equal(report.members.ended, 1);
    assert.deepEqual(
      inFlight.map((m) => [m.nationalId === gone.nationalId, m.end]),
      [[true, "2026-06-20"]],
    );
    const left = [];
    for await (const entry of interruptedEntries(h.state.kv)) left.push(entry);
    assert.equal(left.length, 0, "cleared once the end is booked");
  } finally {
    h.close();
    await Deno.remove(path);
  }
});
