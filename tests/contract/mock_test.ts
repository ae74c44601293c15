// Whole-call answers and the mock-only routes of docs/api-contract.md.

import assert from "node:assert/strict";
import { HTTPException } from "hono/http-exception";
import { createMockApp } from "../../mock-helsenorge/app.ts";
import { createMemoryStore } from "../../mock-helsenorge/store.ts";
import {
  BASE,
  FNR,
  getJson,
  KARI,
  memberEntry,
  membersBatch,
  offeringsTransaction,
  OLA,
  post,
} from "./_bundles.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

function mock(options: Parameters<typeof createMockApp>[0] = {}) {
  return createMockApp({ notConsentedFraction: 0, log: () => {}, ...options });
}

Deno.test("whole call: bodies that are not a transaction or batch Bundle are answered 400", async () => {
  const { app } = mock();
  const cases: [string, unknown, string][] = [
    ["not JSON", "{not json", "application/fhir+json"],
    [
      "JSON but no Bundle",
      { resourceType: "Patient" },
      "application/fhir+json",
    ],
    ["a JSON array", [], "application/json"],
    [
      "a searchset Bundle",
      { resourceType: "Bundle", type: "searchset" },
      "application/fhir+json",
    ],
    [
      "a Bundle without type",
      { resourceType: "Bundle" },
      "application/fhir+json",
    ],
    [
      "entry not an array",
      { resourceType: "Bundle", type: "batch", entry: {} },
      "application/fhir+json",
    ],
    ["XML content type", "<Bundle/>", "application/fhir+xml"],
  ];
  for (const [name, body, contentType] of cases) {
    const answer = await post(app, body, contentType);
    assert.equal(answer.status, 400, name);
    assert.equal(answer.body.resourceType, "OperationOutcome", name);
    assert.equal(answer.body.issue[0].severity, "error", name);
    assert.match(
      answer.headers.get("content-type") ?? "",
      /application\/fhir\+json/,
    );
  }
});

Deno.test("whole call: a body that is not JSON is refused without echoing it", async () => {
  const { app } = mock();
  const answer = await post(app, `{"identifier": "${KARI}"`);
  assert.equal(answer.status, 400);
  assert.ok(!JSON.stringify(answer.body).includes(KARI));
});

Deno.test("whole call: application/json is accepted as well as application/fhir+json", async () => {
  const { app } = mock();
  const answer = await post(
    app,
    membersBatch([memberEntry(KARI, FNR)]),
    "application/json; charset=utf-8",
  );
  assert.equal(answer.status, 200);
});

Deno.test("whole call: a Bundle over maxEntries is answered 413", async () => {
  const { app } = mock({ maxEntries: 2 });
  const answer = await post(
    app,
    membersBatch([
      memberEntry(KARI, FNR),
      memberEntry(OLA, FNR),
      memberEntry(KARI, FNR),
    ]),
  );
  assert.equal(answer.status, 413);
  assert.equal(answer.body.issue[0].code, "too-costly");
});

Deno.test("routes: an unknown route is a 404 OperationOutcome, a wrong method a 405 with Allow", async () => {
  const { app } = mock();
  const missing = await app.request(`/Patient/${KARI}`);
  assert.equal(missing.status, 404);
  const outcome = await missing.json();
  assert.equal(outcome.resourceType, "OperationOutcome");
  assert.equal(outcome.issue[0].code, "not-found");

  const wrong = await app.request(BASE, { method: "GET" });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get("allow"), "POST");
  assert.equal((await wrong.json()).resourceType, "OperationOutcome");

  const reset = await app.request("/_mock/reset", { method: "GET" });
  assert.equal(reset.status, 405);
});

Deno.test("routes: the base path is configurable", async () => {
  const { app } = mock({ basePath: "/api/v2" });
  const moved = await app.request("/api/v2", {
    method: "POST",
    headers: { "content-type": "application/fhir+json" },
    body: JSON.stringify(membersBatch([memberEntry(KARI, FNR)])),
  });
  assert.equal(moved.status, 200);
  assert.equal((await post(app, membersBatch([]))).status, 404);
  assert.throws(() => createMockApp({ basePath: "api/" }), RangeError);
});

Deno.test("received: holds the current versions in four arrays; reset forgets them", async () => {
  const { app } = mock();
  await post(app, offeringsTransaction());
  await post(
    app,
    membersBatch([memberEntry(KARI, FNR), memberEntry(OLA, FNR)]),
  );
  await post(app, offeringsTransaction());

  const received = await getJson(app, "/_mock/received");
  assert.deepEqual(Object.keys(received).sort(), [
    "healthcareServices",
    "locations",
    "organizations",
    "patients",
  ]);
  assert.equal(received.organizations.length, 2);
  assert.equal(received.patients.length, 2);
  for (
    const resource of [
      ...received.organizations,
      ...received.locations,
      ...received.healthcareServices,
    ]
  ) {
    assert.equal(resource.meta.versionId, "2");
    assert.equal(typeof resource.id, "string");
  }
  assert.deepEqual(received.patients.map((p: Json) => p.resourceType), [
    "Patient",
    "Patient",
  ]);

  const reset = await app.request("/_mock/reset", { method: "POST" });
  assert.equal(reset.status, 204);
  assert.deepEqual(await getJson(app, "/_mock/received"), {
    organizations: [],
    locations: [],
    healthcareServices: [],
    patients: [],
  });
  assert.deepEqual((await getJson(app, "/_mock/calls")).calls, []);
});

Deno.test("store: an injected store is the one the app uses", async () => {
  let n = 0;
  const store = createMemoryStore({ newId: () => `id-${++n}` });
  const { app, store: used } = mock({ store });
  assert.equal(used, store);
  const { body } = await post(app, membersBatch([memberEntry(KARI, FNR)]));
  assert.equal(body.entry[0].response.location, "Patient/id-1/_history/1");
  assert.equal(store.list("Patient").length, 1);
});

/** A clock the test moves; the authorize seam spends time "inside" a call. */
function fakeClock(start = Date.UTC(2026, 0, 5, 8, 0, 0)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

Deno.test("timing: every call is recorded, breaches come from the injected clock", async () => {
  const clock = fakeClock();
  const lines: string[] = [];
  const durations: number[] = [];
  const { app } = mock({
    now: clock.now,
    log: (line) => lines.push(line),
    authorize: async (_c, next) => {
      clock.advance(durations.shift() ?? 0);
      await next();
    },
  });

  durations.push(2999, 3000, 100);
  await post(app, offeringsTransaction());
  await post(app, offeringsTransaction());
  await post(app, offeringsTransaction());
  durations.push(9000, 12000);
  await post(app, membersBatch([memberEntry(KARI, FNR)]));
  await post(
    app,
    membersBatch([memberEntry(KARI, FNR), memberEntry(OLA, FNR)]),
  );
  await post(app, "nonsense");

  const { calls, summary, limits } = await getJson(app, "/_mock/calls");
  assert.deepEqual(limits, { offeringsMs: 3000, membersMs: 10000 });
  assert.deepEqual(
    calls.map((
      c: Json,
    ) => [c.step, c.durationMs, c.entries, c.status, c.breached]),
    [
      ["offerings", 2999, 7, 200, false],
      ["offerings", 3000, 7, 200, true],
      ["offerings", 100, 7, 200, false],
      ["members", 9000, 1, 200, false],
      ["members", 12000, 2, 200, true],
      ["unknown", 0, 0, 400, false],
    ],
  );
  assert.equal(calls[0].startedAt, "2026-01-05T08:00:00.000Z");
  assert.equal(calls[1].startedAt, "2026-01-05T08:00:02.999Z");

  assert.deepEqual(summary.offerings, {
    count: 3,
    limitMs: 3000,
    p50: 2999,
    p95: 3000,
    p99: 3000,
    max: 3000,
    breaches: 1,
  });
  assert.deepEqual(summary.members, {
    count: 2,
    limitMs: 10000,
    p50: 9000,
    p95: 12000,
    p99: 12000,
    max: 12000,
    breaches: 1,
  });
  assert.equal(summary.unknown.count, 1);

  assert.equal(lines.length, 2);
  const [first, second] = lines.map((line) => JSON.parse(line));
  assert.deepEqual(first, {
    level: "warn",
    time: "2026-01-05T08:00:05.999Z",
    message: "response time limit breached",
    step: "offerings",
    durationMs: 3000,
    limitMs: 3000,
    entries: 7,
    status: 200,
  });
  assert.equal(second.step, "members");
  assert.equal(second.durationMs, 12000);
  assert.ok(lines.every((line) => !line.includes("\n")));
});

Deno.test("timing: limits are options", async () => {
  const clock = fakeClock();
  const { app } = mock({
    now: clock.now,
    limits: { membersMs: 50 },
    authorize: async (_c, next) => {
      clock.advance(60);
      await next();
    },
  });
  await post(app, membersBatch([memberEntry(KARI, FNR)]));
  const { calls } = await getJson(app, "/_mock/calls");
  assert.equal(calls[0].breached, true);
});

Deno.test("authorize: the seam can refuse a call, which is answered as an OperationOutcome and still timed", async () => {
  const { app } = mock({
    authorize: async (c, next) => {
      if (c.req.header("authorization") !== "Bearer good") {
        throw new HTTPException(401, { message: "token missing or not valid" });
      }
      await next();
    },
  });
  const refused = await post(app, membersBatch([memberEntry(KARI, FNR)]));
  assert.equal(refused.status, 401);
  assert.equal(refused.body.issue[0].code, "security");

  const allowed = await app.request(BASE, {
    method: "POST",
    headers: {
      "content-type": "application/fhir+json",
      authorization: "Bearer good",
    },
    body: JSON.stringify(membersBatch([memberEntry(KARI, FNR)])),
  });
  assert.equal(allowed.status, 200);
  const { calls } = await getJson(app, "/_mock/calls");
  assert.deepEqual(calls.map((c: Json) => c.status), [401, 200]);
});

Deno.test("authorize: without the option any Authorization header, or none, is accepted", async () => {
  const { app } = mock();
  const withHeader = await app.request(BASE, {
    method: "POST",
    headers: {
      "content-type": "application/fhir+json",
      authorization: "Bearer anything",
    },
    body: JSON.stringify(membersBatch([memberEntry(KARI, FNR)])),
  });
  assert.equal(withHeader.status, 200);
  assert.equal(
    (await post(app, membersBatch([memberEntry(OLA, FNR)]))).status,
    200,
  );
});

Deno.test("errors: an unexpected failure is a 500 OperationOutcome and one masked log line", async () => {
  const lines: string[] = [];
  const store = createMemoryStore();
  store.commit = () => {
    throw new Error(`disk full while writing ${KARI}`);
  };
  const { app } = mock({ store, log: (line) => lines.push(line) });
  const answer = await post(app, membersBatch([memberEntry(KARI, FNR)]));
  assert.equal(answer.status, 500);
  assert.equal(answer.body.issue[0].code, "exception");
  assert.ok(!JSON.stringify(answer.body).includes(KARI));
  assert.equal(lines.length, 1);
  assert.equal(JSON.parse(lines[0]).level, "error");
  assert.ok(!lines[0].includes(KARI));
  assert.ok(lines[0].includes("239076*****"));
});
