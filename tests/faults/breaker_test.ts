// Issue 6, must show 4: a sync interrupted by the circuit breaker keeps its
// progress, says why and exits with "could not finish"; started again after
// the mock recovers, it ends with the complete set.

import assert from "node:assert/strict";
import { formatStatus } from "../../src/cli/status_command.ts";
import { ExitCode } from "../../src/sync/report.ts";
import {
  assertStoredSetIsExpected,
  createFaultHarness,
  syntheticMembers,
  totals,
} from "./_harness.ts";

Deno.test("a sync stopped by the circuit breaker resumes after the mock recovers and ends with the complete set", async () => {
  const members = syntheticMembers(3000);
  // From the 8th call on, Helsenorge hangs on every call.
  const h = await createFaultHarness({
    faults: { hang: { calls: "calls 8-100000" } },
    retry: { maxAttempts: 3 },
  });
  const options = {
    batchSize: 100,
    minBatchSize: 25,
    concurrency: 2,
    breakerFailures: 3,
  };
  try {
    const first = await h.sync(members, options);
    assert.equal(first.exitCode, ExitCode.incomplete);
    assert.match(
      first.stoppedBecause ?? "",
      /circuit breaker opened after 3 member calls in a row got no usable answer.*no answer within 15000 ms/,
    );
    assert.ok(first.members.notSent > 0, "the rest was not sent");
    assert.ok(first.members.stored > 0, "some were stored before");
    assert.ok(first.members.failed > 0, "the failed calls' members");
    assert.equal(
      first.members.stored + first.members.notConsented +
        first.members.failed + first.members.notSent,
      members.length,
    );
    // Timeouts shrank the batch size before the breaker opened.
    assert.ok(first.batchSize!.final < 100);
    assert.ok(first.latency!.members!.timeouts >= 9);

    // Progress is kept: what Helsenorge answered for is in the state store,
    // and the failed calls' members are pending.
    const afterStop = await totals(h.state);
    assert.equal(afterStop.stored, first.members.stored);
    assert.equal(afterStop["not-consented"], first.members.notConsented);
    assert.equal(afterStop.pending, first.members.failed);
    assert.equal(h.mock.store.list("Patient").length, first.members.stored);

    // The run record and the status page say why, with the latency record.
    const [record] = await h.state.lastRuns(1);
    assert.equal(record.exitCode, ExitCode.incomplete);
    assert.match(record.stoppedBecause ?? "", /circuit breaker/);
    assert.equal(
      record.counts?.latencyMembersTimeouts,
      first.latency!.members!.timeouts,
    );
    const status = formatStatus(":memory:", {
      ...(await h.state.statusSummary()),
      runs: [record],
    });
    assert.match(status, /stopped: member calls stopped: the circuit breaker/);
    assert.match(
      status,
      /members latency: \d+ attempts, p50 \d+ ms, p95 \d+ ms, p99 15000 ms, max 15000 ms; p99 NOT under the 10 s limit \(\d+ over, \d+ timed out\)/,
    );

    // Helsenorge recovers; the next run sends only what is missing.
    await h.setFaults(null);
    const second = await h.sync(members, options);
    assert.equal(second.exitCode, ExitCode.ok, second.stoppedBecause);
    assert.equal(second.members.unchanged, first.members.stored);
    assert.equal(second.members.notDue, first.members.notConsented);
    assert.equal(
      second.members.stored + second.members.notConsented,
      members.length - first.members.stored - first.members.notConsented,
    );
    await assertStoredSetIsExpected(h, members);
  } finally {
    h.close();
  }
});
