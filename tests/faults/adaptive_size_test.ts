// Issue 6, must show 2: with latency proportional to batch size, set so a
// batch of 1,000 takes 14 s, a sync started at 1,000 halves its batches,
// ends with p99 under 10 s for the later calls, and reports the size it
// settled on. Simulated time: the 14 s calls cost no real time.

import assert from "node:assert/strict";
import { nearestRank } from "../../mock-helsenorge/timing.ts";
import { ExitCode } from "../../src/sync/report.ts";
import {
  assertStoredSetIsExpected,
  createFaultHarness,
  memberCalls,
  syntheticMembers,
} from "./_harness.ts";

Deno.test("a sync started at 1,000 members per call, where 1,000 take 14 s, settles under the 10 s limit", async () => {
  const members = syntheticMembers(6000);
  const h = await createFaultHarness({
    faults: { latency: { members: { perEntryMs: 14 } } },
  });
  try {
    const report = await h.sync(members, {
      batchSize: 1000,
      minBatchSize: 50,
      maxBatchSize: 1000,
      targetLatencyMs: 8000,
      concurrency: 2,
    });
    assert.equal(report.exitCode, ExitCode.ok, report.stoppedBecause);
    await assertStoredSetIsExpected(h, members, report);

    const calls = memberCalls(h);
    // The first calls carried 1,000 and took 14 s: over the limit, though
    // within the client's 15 s timeout.
    assert.equal(calls[0].entries, 1000);
    assert.equal(calls[0].durationMs, 14_000);
    assert.ok(calls[0].breached);

    // Then halved, once (two calls in flight shrink it once), and kept there:
    // 500 take 7 s, under the 8 s target but over half of it, so no growth.
    const sizes = report.batchSize!;
    assert.equal(sizes.initial, 1000);
    assert.equal(sizes.settled, 500);
    assert.equal(sizes.final, 500);
    assert.equal(sizes.shrinks, 1);
    assert.deepEqual(sizes.changes[0], {
      sample: 1,
      from: 1000,
      to: 500,
      reason: "slow",
    });

    const later = calls.filter((c) => c.entries <= 500).map((c) => c.durationMs)
      .sort((a, b) => a - b);
    assert.ok(later.length >= 8, `${later.length} later calls`);
    assert.ok(nearestRank(later, 99) < 10_000, `p99 ${nearestRank(later, 99)}`);
    assert.equal(nearestRank(later, 99), 7000);

    // The report's own record says the same.
    const latency = report.latency!.members!;
    assert.equal(latency.max, 14_000);
    assert.equal(latency.overLimit, 2);
    assert.equal(latency.later!.p99, 7000);
    assert.equal(latency.timeouts, 0);
  } finally {
    h.close();
  }
});

Deno.test("fast calls grow the batch size step by step up to its bound", async () => {
  const members = syntheticMembers(6000);
  const h = await createFaultHarness({
    faults: { latency: { members: { ms: 200, perEntryMs: 5 } } },
  });
  try {
    const report = await h.sync(members, {
      batchSize: 100,
      minBatchSize: 10,
      maxBatchSize: 300,
      targetLatencyMs: 8000,
      concurrency: 1,
    });
    assert.equal(report.exitCode, ExitCode.ok, report.stoppedBecause);
    await assertStoredSetIsExpected(h, members, report);
    // 300 take 1.7 s, under half the target: grown all the way, +10 a call.
    const sizes = report.batchSize!;
    assert.equal(sizes.final, 300);
    assert.equal(sizes.settled, 300);
    assert.equal(sizes.shrinks, 0);
    assert.equal(sizes.grows, 20);
    const entries = memberCalls(h).map((c) => c.entries);
    assert.deepEqual(entries.slice(0, 4), [100, 110, 120, 130]);
  } finally {
    h.close();
  }
});

Deno.test("timeouts shrink the batch size down to its floor, and the sync still completes", async () => {
  const members = syntheticMembers(2000);
  // 40 ms per entry: 400 take 16 s, past the 15 s timeout (the mock still
  // stores them); 200 take 8 s; 100 take 4 s.
  const h = await createFaultHarness({
    faults: { latency: { members: { perEntryMs: 40 } } },
  });
  try {
    const report = await h.sync(members, {
      batchSize: 400,
      minBatchSize: 100,
      maxBatchSize: 400,
      targetLatencyMs: 6000,
      concurrency: 2,
      breakerFailures: 5,
    });
    assert.equal(report.exitCode, ExitCode.ok, report.stoppedBecause);
    await assertStoredSetIsExpected(h, members, report);
    const sizes = report.batchSize!;
    assert.equal(sizes.changes[0].reason, "timeout");
    assert.equal(sizes.settled, 100);
    assert.ok(report.latency!.members!.timeouts >= 1);
    assert.ok(report.latency!.members!.later!.p99 < 10_000);
  } finally {
    h.close();
  }
});
