// The mock's fault injection itself: deterministic draws, schedules, latency
// models, the /_mock/config route and the command-line flags, and a few calls
// on a real socket where a reset cuts the connection and a hang never answers.

import assert from "node:assert/strict";
import { createMockApp } from "../../mock-helsenorge/app.ts";
import {
  FaultPlan,
  keyedDraw,
  parseFaults,
  parseSchedule,
} from "../../mock-helsenorge/faults.ts";
import { parseMockArgs } from "../../mock-helsenorge/main.ts";
import { startMock } from "../../mock-helsenorge/server.ts";
import {
  type ClientEvent,
  HelsenorgeClient,
  HelsenorgeError,
} from "../../src/helsenorge/client.ts";
import {
  FNR,
  getJson,
  KARI,
  memberEntry,
  membersBatch,
  OLA,
} from "../contract/_bundles.ts";

Deno.test("FaultPlan: the same seed gives the same faults on the same calls, near the asked rate", () => {
  const config = parseFaults({ seed: "s", serverError: { rate: 0.1 } });
  const a = new FaultPlan(config);
  const b = new FaultPlan(config);
  let faulted = 0;
  for (let i = 0; i < 10_000; i++) {
    const x = a.next("members", 10);
    assert.deepEqual(x, b.next("members", 10));
    if (x.fault) faulted++;
  }
  assert.ok(faulted > 900 && faulted < 1100, `${faulted} of 10,000`);
  const other = new FaultPlan(
    parseFaults({ seed: "t", serverError: { rate: 0.1 } }),
  );
  const c = new FaultPlan(config);
  const differs = Array.from(
    { length: 200 },
    () => c.next("members", 1).fault !== other.next("members", 1).fault,
  ).some(Boolean);
  assert.ok(differs, "another seed, other calls");
  assert.ok(keyedDraw("s", 1, "x") >= 0 && keyedDraw("s", 1, "x") < 1);
});

Deno.test("FaultPlan: a schedule picks exactly its calls; a rate with it picks some of them", () => {
  assert.deepEqual(parseSchedule("calls 3, 7-9"), [[3, 3], [7, 9]]);
  const plan = new FaultPlan(parseFaults({ hang: { calls: "calls 3, 7-9" } }));
  const hung = Array.from({ length: 12 }, () => plan.next("members", 1))
    .filter((d) => d.fault === "hang").map((d) => d.call);
  assert.deepEqual(hung, [3, 7, 8, 9]);
  assert.equal(plan.calls, 12);

  const some = new FaultPlan(
    parseFaults({ reset: { rate: 0.5, calls: "calls 1-1000" } }),
  );
  const resets = Array.from({ length: 2000 }, () => some.next("members", 1))
    .filter((d) => d.fault === "reset").map((d) => d.call);
  assert.ok(resets.every((n) => n <= 1000));
  assert.ok(resets.length > 400 && resets.length < 600);
});

Deno.test("FaultPlan: latency is a sample plus a part per entry, within its bounds", () => {
  const fixed = new FaultPlan(
    parseFaults({ latency: { members: { ms: 200, perEntryMs: 14 } } }),
  );
  assert.equal(fixed.next("members", 1000).latencyMs, 14_200);
  assert.equal(fixed.next("offerings", 3).latencyMs, 0);

  const uniform = new FaultPlan(parseFaults({
    latency: { members: { distribution: "uniform", ms: 100, maxMs: 300 } },
  }));
  const normal = new FaultPlan(parseFaults({
    latency: {
      members: {
        distribution: "normal",
        ms: 500,
        sdMs: 400,
        minMs: 50,
        maxMs: 900,
      },
    },
  }));
  const u = Array.from({ length: 500 }, () => uniform.next("members", 0));
  const n = Array.from({ length: 500 }, () => normal.next("members", 0));
  assert.ok(u.every((d) => d.latencyMs >= 100 && d.latencyMs <= 300));
  assert.ok(n.every((d) => d.latencyMs >= 50 && d.latencyMs <= 900));
  const mean = n.reduce((sum, d) => sum + d.latencyMs, 0) / n.length;
  assert.ok(mean > 400 && mean < 600, `mean ${mean}`);
});

Deno.test("POST /_mock/config sets, shows and clears faults, and names a bad field", async () => {
  const { app } = createMockApp({ log: () => {} });
  const post = (body: unknown) =>
    app.request("/_mock/config", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const set = await post({ faults: { tooManyRequests: { rate: 0.2 } } });
  assert.equal(set.status, 200);
  const shown = await getJson(app, "/_mock/config");
  assert.equal(shown.faults.tooManyRequests.rate, 0.2);
  assert.equal(shown.faults.tooManyRequests.retryAfterSeconds, 1);

  const bad = await post({
    faults: { hang: { rate: 2 }, reset: { calls: "10-20" } },
  });
  assert.equal(bad.status, 400);
  const issues = (await bad.json()).issue.map((
    i: { expression?: string[] },
  ) => i.expression?.[0]);
  assert.deepEqual(issues.sort(), ["faults.hang.rate", "faults.reset.calls"]);

  assert.equal((await post({ faults: null })).status, 200);
  assert.equal((await getJson(app, "/_mock/config")).faults, undefined);
});

Deno.test("deno task mock takes fault flags: a rate, a schedule, both, a mix and latency", async () => {
  const options = await parseMockArgs([
    "--fault-mix",
    "0.1",
    "--fault-hang",
    "0.5 calls 10-20",
    "--fault-5xx",
    "calls 3",
    "--fault-status",
    "502",
    "--latency",
    "uniform:100-400",
    "--latency-per-entry",
    "14",
    "--fault-seed",
    "x",
  ]);
  assert.ok(options !== "help");
  const faults = parseFaults(options.faults);
  assert.equal(faults.seed, "x");
  assert.deepEqual(faults.hang, {
    rate: 0.5,
    calls: "calls 10-20",
    ms: 20_000,
  });
  assert.deepEqual(faults.serverError, {
    rate: 0.02,
    calls: "calls 3",
    status: 502,
  });
  assert.equal(faults.reset?.rate, 0.02);
  assert.equal(faults.latency?.members?.distribution, "uniform");
  assert.equal(faults.latency?.members?.maxMs, 400);
  assert.equal(faults.latency?.members?.perEntryMs, 14);
  await assert.rejects(
    () => parseMockArgs(["--fault-reset", "often"]),
    /--fault-reset must be a rate/,
  );
  await assert.rejects(
    () => parseMockArgs(["--fault-reset", "1.5"]),
    /reset\.rate/,
  );
});

Deno.test("on a real socket, a reset cuts the connection, a hang outlasts the timeout, and commit-then-drop stores before it drops", async () => {
  const mock = await startMock({
    port: 0,
    notConsentedFraction: 0,
    log: () => {},
    faults: {
      reset: { calls: "calls 1" },
      hang: { calls: "calls 2", ms: 800 },
      tooManyRequests: { calls: "calls 3", retryAfterSeconds: 0 },
      serverError: { calls: "calls 4" },
      commitThenDrop: { calls: "calls 5" },
    },
  });
  const events: ClientEvent[] = [];
  const client = new HelsenorgeClient({
    baseUrl: mock.baseUrl,
    timeouts: { members: 300 },
    retry: { maxAttempts: 1 },
    onEvent: (event) => events.push(event),
  });
  const send = (id: string) =>
    client.sendMembers(membersBatch([memberEntry(id, FNR)]));
  try {
    for (let call = 1; call <= 5; call++) {
      await assert.rejects(
        () => send(call === 5 ? OLA : KARI),
        HelsenorgeError,
      );
    }
    const reasons = events.map((e) =>
      e.type === "no-answer"
        ? `${e.timedOut ? "timeout" : "network"}`
        : e.type === "response"
        ? `HTTP ${e.status}`
        : e.type
    );
    assert.deepEqual(reasons, [
      "network",
      "timeout",
      "HTTP 429",
      "HTTP 503",
      "network",
    ]);
    // The first four stored nothing; the fifth stored and dropped.
    const patients = mock.store.list("Patient");
    assert.equal(patients.length, 1);
    assert.equal(patients[0].identifier?.[0].value, OLA);
    // The hang ends when the server sees the client leave, or after its
    // 800 ms; its call is recorded when it ends.
    for (let i = 0; i < 40 && mock.store.calls().length < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(mock.store.calls().map((c) => c.fault).sort(), [
      "commitThenDrop:reset",
      "hang",
      "reset",
      "serverError",
      "tooManyRequests",
    ]);
    const hang = mock.store.calls().find((c) => c.fault === "hang")!;
    assert.ok(hang.durationMs >= 300, `${hang.durationMs} ms`);
    // Faults are used up: the next call is answered.
    const answer = await send(KARI);
    assert.equal(answer.type, "batch-response");
  } finally {
    await mock.close();
  }
});
