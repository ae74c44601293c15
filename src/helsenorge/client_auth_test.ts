import assert from "node:assert/strict";
import type { Bundle } from "fhir/r4";
import {
  type AuthRefusal,
  HelsenorgeClient,
  HelsenorgeError,
  type RequestAuthorizer,
} from "./client.ts";

const BASE = "http://127.0.0.1:9/helsekontakter/api/v1";
const batch: Bundle = {
  resourceType: "Bundle",
  type: "batch",
  entry: [{ request: { method: "PUT", url: "Patient?identifier=x" } }],
};
const ok = () =>
  new Response(
    JSON.stringify({
      resourceType: "Bundle",
      type: "batch-response",
      entry: [{ response: { status: "201 Created" } }],
    }),
    { status: 200 },
  );
const refused = (status: number, challenge: string, extra = {}) =>
  new Response(
    JSON.stringify({ resourceType: "OperationOutcome", issue: [] }),
    {
      status,
      headers: { "www-authenticate": challenge, ...extra },
    },
  );

function setup(replies: Response[], authorizer: RequestAuthorizer) {
  const sent: Headers[] = [];
  const client = new HelsenorgeClient({
    baseUrl: BASE,
    authorize: authorizer,
    sleep: () => Promise.resolve(),
    fetch: ((_url: string, init?: RequestInit) => {
      sent.push(new Headers(init?.headers));
      return Promise.resolve(replies.shift() ?? ok());
    }) as typeof fetch,
  });
  return { client, sent };
}

/** Hands out token-1, token-2, ...; a refusal asks for the next. */
function countingAuthorizer() {
  let token = 1;
  const refusals: AuthRefusal[] = [];
  const authorizer: RequestAuthorizer = {
    headers: () => Promise.resolve({ authorization: `Bearer token-${token}` }),
    onRefused: (refusal) => {
      refusals.push(refusal);
      token++;
      return Promise.resolve("token");
    },
  };
  return { authorizer, refusals };
}

Deno.test("a 401 or 403 gets a new token once and the call is tried again, without using up an attempt", async () => {
  for (const status of [401, 403]) {
    const { authorizer, refusals } = countingAuthorizer();
    const { client, sent } = setup(
      [refused(status, 'Bearer error="invalid_token"'), ok()],
      authorizer,
    );
    await client.sendMembers(batch);
    assert.deepEqual(sent.map((h) => h.get("authorization")), [
      "Bearer token-1",
      "Bearer token-2",
    ]);
    assert.equal(refusals[0].status, status);
    assert.equal(refusals[0].sent.authorization, "Bearer token-1");
  }
});

Deno.test("a second 403 after a new token fails with a clear error naming the challenge", async () => {
  const { authorizer } = countingAuthorizer();
  const { client, sent } = setup([
    refused(403, 'Bearer error="invalid_token"'),
    refused(403, 'Bearer realm="x", error="insufficient_scope"'),
  ], authorizer);
  const error = await client.sendMembers(batch).catch((e) => e);
  assert.ok(error instanceof HelsenorgeError);
  assert.equal(error.status, 403);
  assert.match(
    error.message,
    /^Helsenorge refused the members call with HTTP 403 \(insufficient_scope\), also with a new token/,
  );
  assert.equal(sent.length, 2);
});

Deno.test("a DPoP nonce challenge and then an expired token are each answered by one retry", async () => {
  const reasons = ["dpop-nonce", "token", "token"];
  const { client, sent } = setup([
    refused(401, 'DPoP error="use_dpop_nonce"', { "dpop-nonce": "n1" }),
    refused(403, 'DPoP error="invalid_token"'),
    ok(),
  ], {
    headers: () => Promise.resolve({ authorization: "DPoP t" }),
    onRefused: () => Promise.resolve(reasons.shift()),
  });
  await client.sendMembers(batch);
  assert.equal(sent.length, 3);
});

Deno.test("a Bearer call met by a DPoP-only challenge says the server requires DPoP and to set --dpop", async () => {
  const dpopOnly =
    'DPoP realm="helsenorge", error="invalid_token", error_description="a DPoP-bound token is required"';
  const { authorizer } = countingAuthorizer();
  const { client } = setup(
    [refused(401, dpopOnly), refused(401, dpopOnly)],
    authorizer,
  );
  const error = await client.sendMembers(batch).catch((e) => e);
  assert.ok(error instanceof HelsenorgeError);
  assert.equal(
    error.message,
    "Helsenorge refused the members call with HTTP 401 (invalid_token), also with a new token; the server requires DPoP-bound tokens; set --dpop (MEDLEMSBRO_DPOP=true)",
  );

  // Bearer offered too, or a proof sent: no such advice.
  for (
    const [challenge, headers] of [
      ['Bearer realm="x", DPoP algs="ES256"', { authorization: "Bearer t" }],
      [dpopOnly, { authorization: "DPoP t", dpop: "proof" }],
    ] as const
  ) {
    const other = setup([refused(401, challenge)], {
      headers: () => Promise.resolve({ ...headers }),
      onRefused: () => Promise.resolve(undefined),
    });
    const plain = await other.client.sendMembers(batch).catch((e) => e);
    assert.doesNotMatch(plain.message, /--dpop/);
  }
});

Deno.test("an authorizer error fails the call at once, unless it is retryable", async () => {
  const fatal = setup([], {
    headers: () => Promise.reject(new Error("key refused")),
  });
  await assert.rejects(fatal.client.sendMembers(batch), /key refused/);
  assert.equal(fatal.sent.length, 0);

  let calls = 0;
  const flaky = setup([], {
    headers: () =>
      ++calls === 1
        ? Promise.reject(
          Object.assign(new Error("token endpoint down"), { retryable: true }),
        )
        : Promise.resolve({ authorization: "Bearer t" }),
  });
  await flaky.client.sendMembers(batch);
  assert.equal(calls, 2);
  assert.equal(flaky.sent.length, 1);
});

Deno.test("without onRefused a 401 fails as before", async () => {
  const { client, sent } = setup([refused(401, "Bearer")], {
    headers: () => Promise.resolve({}),
  });
  await assert.rejects(client.sendMembers(batch), HelsenorgeError);
  assert.equal(sent.length, 1);
});
