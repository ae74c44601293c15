import assert from "node:assert/strict";
import { latencyCounts, LatencyRecorder, stats } from "./latency.ts";

Deno.test("stats() gives nearest-rank percentiles of measured values", () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.deepEqual(stats(values), {
    count: 100,
    p50: 50,
    p95: 95,
    p99: 99,
    max: 100,
  });
  assert.deepEqual(stats([7]), { count: 1, p50: 7, p95: 7, p99: 7, max: 7 });
});

Deno.test("LatencyRecorder counts timeouts in the percentiles and network errors apart", () => {
  const recorder = new LatencyRecorder();
  for (const ms of [100, 200, 300, 12_000]) {
    recorder.observe({
      type: "response",
      step: "members",
      attempt: 1,
      status: 200,
      durationMs: ms,
    });
  }
  recorder.observe({
    type: "no-answer",
    step: "members",
    attempt: 2,
    durationMs: 15_000,
    timedOut: true,
    reason: "no answer within 15000 ms",
  });
  recorder.observe({
    type: "no-answer",
    step: "members",
    attempt: 3,
    durationMs: 3,
    timedOut: false,
    reason: "network error",
  });
  recorder.observe({
    type: "response",
    step: "offerings",
    attempt: 1,
    status: 200,
    durationMs: 400,
  });
  const record = recorder.record();
  assert.equal(record.members?.count, 5);
  assert.equal(record.members?.p50, 300);
  assert.equal(record.members?.p99, 15_000);
  assert.equal(record.members?.overLimit, 2);
  assert.equal(record.members?.timeouts, 1);
  assert.equal(record.members?.networkErrors, 1);
  assert.equal(record.members?.p99UnderLimit, false);
  assert.deepEqual(record.members?.later, {
    count: 3,
    p50: 12_000,
    p95: 15_000,
    p99: 15_000,
    max: 15_000,
  });
  assert.equal(record.offerings?.limitMs, 3000);
  assert.equal(record.offerings?.p99UnderLimit, true);
  assert.equal(latencyCounts(record).latencyMembersP99Ms, 15_000);
});
