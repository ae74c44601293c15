// Issue 6, must show 1: for each fault alone and for a mix of all of them, a
// sync of a few thousand synthetic members ends with the mock holding exactly
// the expected set: no member lost, none twice, every not-consented member
// classified as such. In-process on simulated time, so it runs in seconds.

import assert from "node:assert/strict";
import type { FaultsInput } from "../../mock-helsenorge/faults.ts";
import { ExitCode } from "../../src/sync/report.ts";
import {
  assertStoredSetIsExpected,
  createFaultHarness,
  memberCalls,
  syntheticMembers,
} from "./_harness.ts";

const MEMBERS = 3000;

const CASES: { name: string; faults: FaultsInput; expect: RegExp }[] = [
  {
    name: "latency (normal, plus a part per entry)",
    faults: {
      latency: {
        members: {
          distribution: "normal",
          ms: 2000,
          sdMs: 1500,
          maxMs: 9000,
          perEntryMs: 10,
        },
      },
    },
    expect: /^$/,
  },
  {
    name: "5xx",
    faults: { serverError: { rate: 0.3 } },
    expect: /^serverError$/,
  },
  {
    name: "429 with Retry-After",
    faults: { tooManyRequests: { rate: 0.3, retryAfterSeconds: 2 } },
    expect: /^tooManyRequests$/,
  },
  {
    name: "a hang past the client's timeout",
    faults: { hang: { rate: 0.3 } },
    expect: /^hang$/,
  },
  {
    name: "a connection reset",
    faults: { reset: { rate: 0.3 } },
    expect: /^reset$/,
  },
  {
    name: "commit then drop (reset)",
    faults: { commitThenDrop: { rate: 0.3 } },
    expect: /^commitThenDrop:reset$/,
  },
  {
    name: "commit then drop (hang)",
    faults: { commitThenDrop: { rate: 0.3, then: "hang" } },
    expect: /^commitThenDrop:hang$/,
  },
  {
    name: "a mix of all of them",
    faults: {
      latency: {
        members: { distribution: "uniform", ms: 100, maxMs: 3000 },
      },
      serverError: { rate: 0.08 },
      tooManyRequests: { rate: 0.08 },
      hang: { rate: 0.08 },
      reset: { rate: 0.08 },
      commitThenDrop: { rate: 0.08 },
    },
    expect: /^(serverError|tooManyRequests|hang|reset|commitThenDrop:reset)$/,
  },
];

const members = syntheticMembers(MEMBERS);

for (const { name, faults, expect } of CASES) {
  Deno.test(`a sync under ${name} stores exactly the expected set`, async () => {
    const h = await createFaultHarness({ faults: { seed: name, ...faults } });
    try {
      const report = await h.sync(members, {
        batchSize: 100,
        minBatchSize: 10,
        concurrency: 3,
        breakerFailures: 5,
      });
      assert.equal(report.exitCode, ExitCode.ok, report.stoppedBecause);
      await assertStoredSetIsExpected(h, members, report);

      // The fault really happened, and only that fault.
      const calls = memberCalls(h);
      const faulted = calls.filter((c) => c.fault !== undefined);
      if (expect.source !== "^$") {
        assert.ok(faulted.length >= 2, `${faulted.length} faulted calls`);
      }
      for (const call of faulted) assert.match(call.fault!, expect);
      if (name.startsWith("a mix")) {
        const kinds = new Set(faulted.map((c) => c.fault));
        assert.ok(kinds.size >= 4, `only ${[...kinds].join(", ")}`);
      }
      const latency = report.latency?.members;
      assert.ok(latency && latency.count >= calls.length - faulted.length);
    } finally {
      h.close();
    }
  });
}
