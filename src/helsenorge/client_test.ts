import assert from "node:assert/strict";
import type { Bundle, OperationOutcomeIssue } from "fhir/r4";
import {
  type ClientEvent,
  HelsenorgeClient,
  HelsenorgeError,
  summarizeOutcome,
} from "./client.ts";
import { backoffDelay, parseRetryAfter } from "./retry.ts";

const BASE = "http://127.0.0.1:9/helsekontakter/api/v1";

const batch: Bundle = {
  resourceType: "Bundle",
  type: "batch",
  entry: [{ request: { method: "PUT", url: "Patient?identifier=x" } }],
};
const batchResponse: Bundle = {
  resourceType: "Bundle",
  type: "batch-response",
  entry: [{ response: { status: "201 Created" } }],
};

type Reply = Response | "network-error" | "hang";

/** A fetch that plays `replies` in order and records each call. */
function scriptedFetch(replies: Reply[]) {
  const calls: { url: string; headers: Headers }[] = [];
  const fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), headers: new Headers(init?.headers) });
    const reply = replies.shift() ?? "network-error";
    if (reply === "network-error") {
      return Promise.reject(new TypeError("connection reset"));
    }
    if (reply === "hang") {
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener(
          "abort",
          () => reject(init.signal!.reason),
        );
      });
    }
    return Promise.resolve(reply);
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

function fhir(body: unknown, status = 200, headers: HeadersInit = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/fhir+json", ...headers },
  });
}

function client(
  replies: Reply[],
  extra: Partial<ConstructorParameters<typeof HelsenorgeClient>[0]> = {},
) {
  const scripted = scriptedFetch(replies);
  const sleeps: number[] = [];
  const events: ClientEvent[] = [];
  const instance = new HelsenorgeClient({
    baseUrl: BASE,
    fetch: scripted.fetch,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { instance, calls: scripted.calls, sleeps, events };
}

Deno.test("sendMembers() posts FHIR JSON to the base URL and returns the batch-response", async () => {
  const { instance, calls } = client([fhir(batchResponse)]);
  const response = await instance.sendMembers(batch);
  assert.deepEqual(response, batchResponse);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, BASE);
  assert.equal(calls[0].headers.get("content-type"), "application/fhir+json");
});

Deno.test("sendMembers() resends after 503, a network error and a timeout", async () => {
  const { instance, calls, sleeps, events } = client(
    [fhir({}, 503), "network-error", "hang", fhir(batchResponse)],
    { timeouts: { members: 20 } },
  );
  await instance.sendMembers(batch);
  assert.equal(calls.length, 4);
  assert.equal(sleeps.length, 3);
  const reasons = events.flatMap((e) => e.type === "retry" ? [e.reason] : []);
  assert.match(reasons[0], /HTTP 503/);
  assert.match(reasons[1], /network error/);
  assert.match(reasons[2], /no answer within 20 ms/);
});

Deno.test("sendMembers() waits as long as Retry-After asks on 429", async () => {
  const { instance, sleeps } = client([
    fhir({}, 429, { "retry-after": "7" }),
    fhir(batchResponse),
  ]);
  await instance.sendMembers(batch);
  assert.deepEqual(sleeps, [7000]);
});

Deno.test("sendMembers() never resends a 400 and reports the outcome, ids masked", async () => {
  const outcome = {
    resourceType: "OperationOutcome",
    issue: [{
      severity: "error",
      code: "invalid",
      diagnostics: "Patient 23907640450 is malformed",
      expression: ["Bundle.entry[0].resource"],
    }],
  };
  const { instance, calls } = client([fhir(outcome, 400)]);
  const error = await instance.sendMembers(batch).catch((e) => e);
  assert.ok(error instanceof HelsenorgeError);
  assert.equal(error.code, "ERR_HELSENORGE_REJECTED");
  assert.equal(error.status, 400);
  assert.equal(calls.length, 1);
  assert.match(error.message, /239076\*\*\*\*\*/);
  assert.doesNotMatch(error.message, /23907640450/);
});

Deno.test("a 400 whose OperationOutcome echoes the Authorization header shows no token", async () => {
  const token = "eyJhbGciOiJIUzI1NiJ9.SECRETTOKEN.sig";
  const outcome = {
    resourceType: "OperationOutcome",
    issue: [
      {
        severity: "error",
        code: "security",
        diagnostics: `token Bearer ${token} rejected`,
      },
      {
        severity: "error",
        code: "invalid",
        details: {
          text: "Authorization: DPoP eyJhbGciOiJFUzI1NiJ9.eyJ4IjoxfQ",
        },
        expression: ["Bundle.entry[0]"],
      },
    ],
  };
  const { instance } = client([fhir(outcome, 400)]);
  const error = await instance.sendMembers(batch).catch((e) => e);
  assert.ok(error instanceof HelsenorgeError);
  assert.equal(
    error.message,
    "Helsenorge refused the members call with HTTP 400: token Bearer [redacted] rejected; Bundle.entry[0]: Authorization: DPoP [redacted]",
  );
  assert.doesNotMatch(error.message, /SECRETTOKEN|eyJ/);
});

Deno.test("summarizeOutcome() scrubs each issue's text: tokens, PEM blocks and national ids", () => {
  const summary = summarizeOutcome({
    resourceType: "OperationOutcome",
    issue: [{
      severity: "error",
      code: "invalid",
      diagnostics:
        "Patient 23907640450 signed with -----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY----- by Bearer 2YotnFZFEjr1zCsicMWpAA",
    }],
  });
  assert.equal(
    summary,
    "Patient 239076***** signed with [redacted] by Bearer [redacted]",
  );
});

Deno.test("sendMembers() gives up after maxAttempts with ERR_HELSENORGE_UNAVAILABLE", async () => {
  const { instance, calls } = client(
    [fhir({}, 500), fhir({}, 502), fhir({}, 503)],
    { retry: { maxAttempts: 3 } },
  );
  const error = await instance.sendMembers(batch).catch((e) => e);
  assert.equal(error.code, "ERR_HELSENORGE_UNAVAILABLE");
  assert.equal(error.attempts, 3);
  assert.equal(calls.length, 3);
  assert.match(error.message, /last: HTTP 503/);
});

Deno.test("sendMembers() resends a 2xx whose body is not the expected batch-response", async () => {
  const unreadable: [string, Reply][] = [
    ["not JSON", new Response("{garbage", { status: 200 })],
    [
      "HTML",
      new Response("<html><body>Service Unavailable</body></html>", {
        status: 200,
        headers: { "content-type": "text/html" },
      }),
    ],
    ["an empty body", new Response(null, { status: 204 })],
    ["no Bundle", fhir({ resourceType: "OperationOutcome", issue: [] })],
    ["the wrong type", fhir({ ...batchResponse, type: "searchset" })],
    ["the wrong entry count", fhir({ ...batchResponse, entry: [] })],
  ];
  for (const [what, reply] of unreadable) {
    const { instance, calls, events } = client([reply, fhir(batchResponse)]);
    const response = await instance.sendMembers(batch);
    assert.deepEqual(response, batchResponse, what);
    assert.equal(calls.length, 2, what);
    const retry = events.find((e) => e.type === "retry");
    assert.ok(retry?.type === "retry", what);
    assert.match(retry.reason, /^HTTP 20[04] with /, what);
  }
});

Deno.test("sendMembers() says the outcome is unknown when no attempt's answer could be read", async () => {
  const body = "<html>Patient 23907640450 stored</html>";
  const { instance, calls } = client(
    [
      new Response(body, { status: 200 }),
      fhir({ ...batchResponse, entry: [] }),
      fhir({ ...batchResponse, type: "transaction-response" }),
    ],
    { retry: { maxAttempts: 3 } },
  );
  const error = await instance.sendMembers(batch).catch((e) => e);
  assert.ok(error instanceof HelsenorgeError);
  assert.equal(error.code, "ERR_HELSENORGE_BAD_RESPONSE");
  assert.equal(error.attempts, 3);
  assert.equal(calls.length, 3);
  assert.match(
    error.message,
    /^Helsenorge's answer could not be read; the members may or may not be stored; they will be sent again \(members call, 3 attempts; last: HTTP 200 with a transaction-response of 1 entries; expected a batch-response of 1\)$/,
  );
  assert.doesNotMatch(error.message, /23907640450|html/);
});

Deno.test("sendMembers() reports a mix of unreadable answers and 5xx as unavailable", async () => {
  const { instance } = client(
    [new Response("nope", { status: 200 }), fhir({}, 502)],
    { retry: { maxAttempts: 2 } },
  );
  const error = await instance.sendMembers(batch).catch((e) => e);
  assert.equal(error.code, "ERR_HELSENORGE_UNAVAILABLE");
  assert.match(error.message, /last: HTTP 502$/);
});

Deno.test("sendMembers() resends after 408 Request Timeout like a 5xx", async () => {
  const { instance, calls, events } = client([
    fhir({}, 408),
    fhir(batchResponse),
  ]);
  await instance.sendMembers(batch);
  assert.equal(calls.length, 2);
  const retry = events.find((e) => e.type === "retry");
  assert.ok(retry?.type === "retry");
  assert.equal(retry.reason, "HTTP 408");
});

Deno.test("sendMembers() gives up at once when Retry-After asks for longer than maxDelayMs", async () => {
  for (const [status, retryAfter] of [[429, "100000"], [503, "31"]] as const) {
    const { instance, calls, sleeps } = client([
      fhir({}, status, { "retry-after": retryAfter }),
      fhir(batchResponse),
    ]);
    const error = await instance.sendMembers(batch).catch((e) => e);
    assert.ok(error instanceof HelsenorgeError);
    assert.equal(error.code, "ERR_HELSENORGE_UNAVAILABLE");
    assert.equal(error.status, status);
    assert.equal(error.attempts, 1);
    assert.equal(error.retryAfterMs, Number(retryAfter) * 1000);
    assert.equal(calls.length, 1, "no early resend");
    assert.deepEqual(sleeps, [], "no wait");
  }

  const { instance } = client([fhir({}, 429, { "retry-after": "100000" })]);
  const error = await instance.sendMembers(batch).catch((e) => e);
  assert.equal(
    error.message,
    "Helsenorge asked to wait 27 h 46 min before resending, longer than the 30 s limit (members call, HTTP 429)",
  );
});

Deno.test("sendMembers() honours a Retry-After date within maxDelayMs", async () => {
  const now = Date.parse("2026-12-04T12:00:00Z");
  const { instance, sleeps } = client([
    fhir({}, 503, { "retry-after": "Fri, 04 Dec 2026 12:00:20 GMT" }),
    fhir(batchResponse),
  ], { now: () => now });
  await instance.sendMembers(batch);
  assert.deepEqual(sleeps, [20_000]);
});

Deno.test("a whole-call refusal whose OperationOutcome says nothing ends without a dangling colon", async () => {
  const outcomes = [
    { resourceType: "OperationOutcome", issue: [] },
    { resourceType: "OperationOutcome" },
    {
      resourceType: "OperationOutcome",
      issue: [{ severity: "error", diagnostics: " " }],
    },
  ];
  for (const outcome of outcomes) {
    const { instance } = client([fhir(outcome, 400)]);
    const error = await instance.sendMembers(batch).catch((e) => e);
    assert.equal(
      error.message,
      "Helsenorge refused the members call with HTTP 400",
      JSON.stringify(outcome),
    );
  }
});

Deno.test("summarizeOutcome() leaves no trailing colon for issues without text or place", () => {
  const issue = (fields: Partial<OperationOutcomeIssue>) =>
    ({
      severity: "error",
      code: "invalid",
      ...fields,
    }) as OperationOutcomeIssue;
  const summary = (issues: OperationOutcomeIssue[] | undefined) =>
    summarizeOutcome({ resourceType: "OperationOutcome", issue: issues! });

  assert.equal(summary([]), "");
  assert.equal(summary(undefined), "");
  assert.equal(
    summary([issue({ expression: ["Bundle.type"], code: undefined })]),
    "Bundle.type",
  );
  assert.equal(summary([issue({ diagnostics: "" })]), "invalid");
  assert.equal(
    summary([
      issue({ expression: ["Bundle.entry[0]"], diagnostics: "bad id" }),
      issue({ details: { text: "too large" } }),
    ]),
    "Bundle.entry[0]: bad id; too large",
  );
});

Deno.test("sendOfferings() uses its own timeout", async () => {
  const { instance, events } = client(
    ["hang", fhir({ resourceType: "Bundle", type: "transaction-response" })],
    { timeouts: { offerings: 15, members: 60_000 } },
  );
  await instance.sendOfferings({ resourceType: "Bundle", type: "transaction" });
  const retry = events.find((e) => e.type === "retry");
  assert.ok(retry && retry.type === "retry");
  assert.match(retry.reason, /no answer within 15 ms/);
});

Deno.test("an authorizer's headers are sent with every call", async () => {
  const { instance, calls } = client([fhir({}, 503), fhir(batchResponse)], {
    authorize: () => Promise.resolve({ authorization: "Bearer t" }),
  });
  await instance.sendMembers(batch);
  assert.deepEqual(calls.map((c) => c.headers.get("authorization")), [
    "Bearer t",
    "Bearer t",
  ]);
});

Deno.test("the constructor refuses a base URL that is not http(s)", () => {
  assert.throws(() => new HelsenorgeClient({ baseUrl: "ftp://x" }), TypeError);
  assert.throws(
    () => new HelsenorgeClient({ baseUrl: "not a url" }),
    TypeError,
  );
});

Deno.test("backoffDelay() doubles, is capped and keeps at least half", () => {
  const policy = { maxAttempts: 9, baseDelayMs: 100, maxDelayMs: 1000 };
  assert.equal(backoffDelay(1, policy, () => 0), 50);
  assert.equal(backoffDelay(1, policy, () => 1), 100);
  assert.equal(backoffDelay(3, policy, () => 1), 400);
  assert.equal(backoffDelay(8, policy, () => 1), 1000);
});

Deno.test("parseRetryAfter() reads seconds and HTTP dates", () => {
  const now = Date.parse("2026-12-04T12:00:00Z");
  assert.equal(parseRetryAfter("3", now), 3000);
  assert.equal(parseRetryAfter("Fri, 04 Dec 2026 12:00:10 GMT", now), 10_000);
  assert.equal(parseRetryAfter(null, now), undefined);
  assert.equal(parseRetryAfter("soon", now), undefined);
});
