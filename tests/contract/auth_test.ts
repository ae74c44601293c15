/**
 * Authentication against the mock's strict token endpoints: full syncs with
 * HelseID- and STS-style auth, with and without DPoP; tokens that expire
 * mid-run; one token request for many concurrent calls; and every refusal
 * the issue names, reported clearly and without secrets.
 */

import assert from "node:assert/strict";
import type { Bundle } from "fhir/r4";
import { SignJWT } from "jose";
import { AuthError } from "../../src/auth/auth_error.ts";
import { createDemoClient } from "../../src/auth/demo_client.ts";
import { createAuthorizer } from "../../src/auth/authorizer.ts";
import {
  HelsenorgeClient,
  HelsenorgeError,
} from "../../src/helsenorge/client.ts";
import { readMembers } from "../../src/input/read_members.ts";
import { readOfferings } from "../../src/input/offerings.ts";
import type { SyncReport } from "../../src/sync/report.ts";
import { clientTarget, runSync } from "../../src/sync/sync.ts";
import { FNR, memberEntry, membersBatch } from "./_bundles.ts";
import {
  assertNoSecrets,
  BASE,
  type Harness,
  harness,
  ORIGIN,
  testClock,
} from "./_auth_harness.ts";

const FIXTURES = new URL("../../fixtures/", import.meta.url).pathname;
const VALID_MEMBERS = 39;

async function syncSample(
  h: Harness,
  options: {
    batchSize?: number;
    concurrency?: number;
    onBatch?: (n: number) => void;
  } = {},
): Promise<SyncReport> {
  let batches = 0;
  const report = await runSync({
    target: clientTarget(h.client),
    offerings: await readOfferings(`${FIXTURES}helsetilbud.json`),
    members:
      (await readMembers({ path: `${FIXTURES}medlemmer-eksport.csv` })).entries,
    rules: { allowSynthetic: true },
    batchSize: options.batchSize ?? 10,
    concurrency: options.concurrency ?? 2,
    onProgress: () => options.onBatch?.(++batches),
  });
  h.seen.push(JSON.stringify(report));
  return report;
}

function assertAllStored(h: Harness, report: SyncReport): void {
  assert.equal(report.offerings.status, "sent");
  assert.equal(report.stoppedBecause, undefined);
  assert.equal(report.members.failed, 0);
  assert.equal(report.members.stored, VALID_MEMBERS);
  assert.equal(h.store.list("Patient").length, VALID_MEMBERS);
}

function finish(h: Harness, ...more: unknown[]): void {
  h.seen.push(JSON.stringify(h.auth.stats()));
  for (const item of more) {
    h.seen.push(
      item instanceof Error ? `${item.message}` : JSON.stringify(item),
    );
  }
  assertNoSecrets(h.seen, "the run's output");
}

/** A member batch of `n` distinct members (synthetic ids). */
function batchOf(n: number, first = 0): Bundle {
  return membersBatch(
    Array.from(
      { length: n },
      (_, i) => memberEntry(syntheticId(first + i), FNR),
    ),
  );
}

function syntheticId(i: number): string {
  // Valid Test Norge fødselsnummer: find check digits for 0101{80+}yy + nnn.
  const base = `0181${String(50 + (i % 40)).padStart(2, "0")}${
    String(100 + Math.floor(i / 40)).padStart(3, "0")
  }`;
  const w1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
  const w2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
  const digits = base.split("").map(Number);
  const k1 = (11 - (w1.reduce((s, w, j) => s + w * digits[j], 0) % 11)) % 11;
  const withK1 = [...digits, k1];
  const k2 = (11 - (w2.reduce((s, w, j) => s + w * withK1[j], 0) % 11)) % 11;
  if (k1 === 10 || k2 === 10) return syntheticId(i + 1000);
  return [...withK1, k2].join("");
}

// --- full syncs -----------------------------------------------------------

for (const flavour of ["helseid", "sts"] as const) {
  for (const dpop of [false, true]) {
    const name = `${flavour === "helseid" ? "HelseID" : "STS"}-style auth${
      dpop ? " with DPoP (required, with nonces)" : ""
    }`;
    Deno.test(`a full sync with ${name} stores every member`, async () => {
      const h = await harness({ flavour, dpop, mock: { requireDpop: dpop } });
      const report = await syncSample(h);
      assertAllStored(h, report);

      const stats = h.auth.stats();
      assert.equal(stats.tokensIssued, 1);
      if (dpop) {
        // One nonce challenge from the token endpoint and one from the API,
        // each answered by one retry.
        assert.equal(stats.tokenRequests, 2);
        const errors = stats.refused.map((r) => `${r.endpoint}:${r.error}`);
        assert.deepEqual(errors, [
          "token:use_dpop_nonce",
          "api:use_dpop_nonce",
        ]);
      } else {
        assert.equal(stats.tokenRequests, 1);
        assert.deepEqual(stats.refused, []);
      }
      finish(h);
    });
  }
}

// --- expiry ---------------------------------------------------------------

Deno.test("a token that expires mid-run (403 from the API) is replaced once and nothing is lost", async () => {
  const h = await harness({ flavour: "sts" });
  const report = await syncSample(h, {
    batchSize: 5,
    concurrency: 1,
    onBatch: (n) => n === 2 && h.auth.expireIssuedTokens(),
  });
  assertAllStored(h, report);
  const stats = h.auth.stats();
  assert.equal(stats.tokensIssued, 2);
  assert.deepEqual(
    stats.refused.map((r) => [r.endpoint, r.error, r.description]),
    [["api", "invalid_token", "the access token expired"]],
  );
  finish(h);
});

Deno.test("a DPoP-bound token that expires mid-run, with rotating nonces, is replaced and nothing is lost", async () => {
  const h = await harness({ dpop: true, mock: { requireDpop: true } });
  const report = await syncSample(h, {
    batchSize: 5,
    concurrency: 2,
    onBatch: (n) => {
      if (n === 2) h.auth.expireIssuedTokens();
      if (n === 4) h.auth.rotateNonce();
    },
  });
  assertAllStored(h, report);
  assert.equal(h.auth.stats().tokensIssued, 2);
  finish(h);
});

Deno.test("a token past its expiry on the clock is renewed before it is used", async () => {
  const clock = testClock();
  const h = await harness({
    mock: { now: clock.now, tokenLifetimeSeconds: 60 },
  });
  const report = await syncSample(h, {
    batchSize: 5,
    concurrency: 1,
    onBatch: () => clock.advance(45_000),
  });
  assertAllStored(h, report);
  const stats = h.auth.stats();
  assert.ok(stats.tokensIssued >= 4, `${stats.tokensIssued} tokens issued`);
  assert.deepEqual(stats.refused, [], "no call went out with a stale token");
  finish(h);
});

Deno.test("the API answers a token expired on its clock with 403 and a challenge", async () => {
  const clock = testClock();
  const h = await harness({
    mock: { now: clock.now, tokenLifetimeSeconds: 60 },
  });
  const token = await h.tokens.get();
  clock.advance(61_000 + 5_000);
  const response = await h.fetch(BASE, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token.value}`,
      "content-type": "application/fhir+json",
    },
    body: JSON.stringify(batchOf(1)),
  });
  assert.equal(response.status, 403);
  assert.match(
    response.headers.get("www-authenticate") ?? "",
    /^Bearer realm="helsenorge", error="invalid_token", error_description="the access token expired"$/,
  );
  const outcome = await response.json();
  assert.equal(outcome.resourceType, "OperationOutcome");
  assert.equal(outcome.issue[0].code, "security");
  finish(h);
});

// --- one token request for many calls ---------------------------------------

Deno.test("with 8 concurrent batches and a token the API calls expired, exactly one token request is made", async () => {
  const h = await harness();
  await h.client.sendMembers(batchOf(1));
  assert.equal(h.auth.stats().tokenRequests, 1);

  h.auth.expireIssuedTokens();
  const answers = await Promise.all(
    Array.from(
      { length: 8 },
      (_, i) => h.client.sendMembers(batchOf(3, 10 + i * 3)),
    ),
  );
  assert.equal(h.auth.stats().tokenRequests, 2, "one request after the 403s");
  for (const answer of answers) {
    assert.ok(
      answer.entry?.every((e) => /^20[01]/.test(e.response?.status ?? "")),
    );
  }
  assert.equal(h.store.list("Patient").length, 1 + 24);
  finish(h);
});

Deno.test("with 8 concurrent batches and a token expired on the client's clock, exactly one token request is made", async () => {
  const clock = testClock();
  const h = await harness({
    dpop: true,
    mock: { now: clock.now, tokenLifetimeSeconds: 60, requireDpop: true },
  });
  await h.client.sendMembers(batchOf(1));
  const before = h.auth.stats().tokensIssued;
  clock.advance(61_000);
  await Promise.all(
    Array.from(
      { length: 8 },
      (_, i) => h.client.sendMembers(batchOf(2, 40 + i * 2)),
    ),
  );
  assert.equal(h.auth.stats().tokensIssued, before + 1);
  finish(h);
});

Deno.test("8 calls at start share one token request", async () => {
  const h = await harness({ flavour: "sts" });
  await Promise.all(
    Array.from(
      { length: 8 },
      (_, i) => h.client.sendMembers(batchOf(1, 70 + i)),
    ),
  );
  assert.equal(h.auth.stats().tokenRequests, 1);
  finish(h);
});

// --- refusals ---------------------------------------------------------------

async function refusal(h: Harness): Promise<AuthError> {
  const error = await h.client.sendMembers(batchOf(1)).then(
    () => assert.fail("the call should have failed"),
    (error) => error,
  );
  assert.ok(error instanceof AuthError, `got ${error}`);
  assert.equal(error.code, "ERR_AUTH_TOKEN_REFUSED");
  assert.equal(error.retryable, false);
  return error;
}

Deno.test("a reused jti is refused by the mock and reported clearly", async () => {
  const h = await harness({ tokens: { jti: () => "always-the-same" } });
  await h.client.sendMembers(batchOf(1));
  h.auth.expireIssuedTokens();

  const error = await refusal(h);
  assert.equal(error.oauthError, "invalid_client");
  assert.match(
    error.message,
    /^HelseID \(http:\/\/mock\.test\/connect\/token\) refused the token request with HTTP 400 \(invalid_client: the assertion's jti was used before\)/,
  );
  assert.deepEqual(h.auth.stats().refused.at(-1), {
    endpoint: "token",
    error: "invalid_client",
    description: "the assertion's jti was used before",
  });
  finish(h, error);
});

Deno.test("an assertion signed with a key other than the registered one is refused and reported clearly", async () => {
  const other = await createDemoClient();
  const h = await harness({ flavour: "sts", registerKey: other.key });
  const error = await refusal(h);
  assert.match(
    error.message,
    /Helsenorge STS \(http:\/\/mock\.test\/sts\/Token\) refused .* signature does not verify with the client's registered key.*check the client id, that the key is the one registered/,
  );
  finish(h, error);
});

Deno.test("a wrong audience is refused: HelseID wants the authority, STS the token URL", async () => {
  const helseId = await harness({
    tokens: { audience: `${ORIGIN}/connect/token` },
  });
  const first = await refusal(helseId);
  assert.match(
    first.message,
    /the assertion's aud must be http:\/\/mock\.test\)/,
  );
  finish(helseId, first);

  const sts = await harness({ flavour: "sts", tokens: { audience: ORIGIN } });
  const second = await refusal(sts);
  assert.match(
    second.message,
    /the assertion's aud must be http:\/\/mock\.test\/sts\/Token\)/,
  );
  finish(sts, second);
});

Deno.test("an assertion valid for more than 60 s is refused by the mock", async () => {
  const h = await harness();
  const iat = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: h.key.alg, kid: h.key.kid })
    .setIssuer(h.clientId)
    .setSubject(h.clientId)
    .setAudience(ORIGIN)
    .setJti(crypto.randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + 120)
    .sign(h.key.key);
  const response = await h.fetch(`${ORIGIN}/connect/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_assertion_type:
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
      scope: "Helsekontakter",
    }),
  });
  assert.equal(response.status, 400);
  assert.deepEqual(await response.json(), {
    error: "invalid_client",
    error_description:
      "the assertion is valid for 120 s; at most 60 s is allowed",
  });
  finish(h);
});

Deno.test("an assertion from a client whose clock runs 2 minutes ahead is refused and reported clearly", async () => {
  const h = await harness({ clientNow: () => Date.now() + 120_000 });
  const error = await refusal(h);
  assert.match(
    error.message,
    /\(invalid_client: the assertion is not valid yet \(nbf is in the future; check the clock\)\)/,
  );
  finish(h, error);
});

Deno.test("a refused assertion stops the sync with a clear report, and nothing is sent", async () => {
  const other = await createDemoClient();
  const h = await harness({ registerKey: other.key });
  const report = await syncSample(h);
  assert.equal(report.offerings.status, "failed");
  assert.match(
    report.offerings.error ?? "",
    /HelseID \(http:\/\/mock\.test\/connect\/token\) refused the token request with HTTP 400/,
  );
  assert.equal(report.exitCode, 3);
  assert.equal(h.store.list("Patient").length, 0);
  finish(h);
});

Deno.test("a token without the required scope gets 403 insufficient_scope, one new token, then a clear failure", async () => {
  const h = await harness({ tokens: { scope: "Other" } });
  h.auth.registerClient({
    clientId: h.clientId,
    jwks: [h.key.publicJwk],
    scopes: ["Helsekontakter", "Other"],
  });
  const error = await h.client.sendMembers(batchOf(1)).then(
    () => assert.fail("should fail"),
    (e) => e,
  );
  assert.ok(error instanceof HelsenorgeError);
  assert.equal(error.code, "ERR_HELSENORGE_REJECTED");
  assert.equal(error.status, 403);
  assert.match(
    error.message,
    /^Helsenorge refused the members call with HTTP 403 \(insufficient_scope\), also with a new token: the token lacks scope Helsekontakter$/,
  );
  assert.equal(h.auth.stats().tokensIssued, 2);
  finish(h, error);
});

Deno.test("a scope the client is not registered for is refused at the token endpoint", async () => {
  const h = await harness({ tokens: { scope: "Helsekontakter Admin" } });
  const error = await refusal(h);
  assert.match(error.message, /\(invalid_scope: .*\); check the scope setting/);
  finish(h, error);
});

Deno.test("the API refuses a missing and a badly signed token with 401 and a challenge", async () => {
  const h = await harness();
  const post = (headers: Record<string, string>) =>
    h.fetch(BASE, {
      method: "POST",
      headers: { "content-type": "application/fhir+json", ...headers },
      body: JSON.stringify(batchOf(1)),
    });

  const missing = await post({});
  assert.equal(missing.status, 401);
  assert.equal(
    missing.headers.get("www-authenticate"),
    'Bearer realm="helsenorge"',
  );

  // Right shape and claims, but signed by the client's key, not the mock's.
  const forged = await new SignJWT({ scope: "Helsekontakter" })
    .setProtectedHeader({ alg: h.key.alg, typ: "at+jwt" })
    .setIssuer(ORIGIN)
    .setAudience("helsekontakter")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(h.key.key);
  const bad = await post({ authorization: `Bearer ${forged}` });
  assert.equal(bad.status, 401);
  assert.match(
    bad.headers.get("www-authenticate") ?? "",
    /error="invalid_token", error_description="the access token is not valid"/,
  );
  assert.equal(h.store.list("Patient").length, 0);
  finish(h);
});

Deno.test("with DPoP required, a token request without a proof is refused with advice to set --dpop", async () => {
  const h = await harness({ mock: { requireDpop: true } });
  const error = await refusal(h);
  assert.match(
    error.message,
    /\(invalid_dpop_proof: a DPoP proof is required\); the server requires DPoP-bound tokens; set --dpop \(MEDLEMSBRO_DPOP=true\)$/,
  );
  finish(h, error);
});

Deno.test("a DPoP-bound token used with the Bearer scheme, or with another key's proof, is refused", async () => {
  const h = await harness({ dpop: true });
  const token = await h.tokens.get();
  assert.equal(token.type, "DPoP");
  const asBearer = await h.fetch(BASE, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token.value}`,
      "content-type": "application/fhir+json",
    },
    body: JSON.stringify(batchOf(1)),
  });
  assert.equal(asBearer.status, 401);
  assert.match(asBearer.headers.get("www-authenticate") ?? "", /^DPoP /);

  const { createDpopProofer } = await import("../../src/auth/dpop.ts");
  const stranger = await createDpopProofer();
  const wrongKey = await h.fetch(BASE, {
    method: "POST",
    headers: {
      authorization: `DPoP ${token.value}`,
      dpop: await stranger.proof({
        method: "POST",
        url: BASE,
        accessToken: token.value,
      }),
      "content-type": "application/fhir+json",
    },
    body: JSON.stringify(batchOf(1)),
  });
  assert.equal(wrongKey.status, 401);
  assert.match(
    wrongKey.headers.get("www-authenticate") ?? "",
    /error="invalid_dpop_proof", error_description="the proof's key is not the token's"/,
  );
  finish(h);
});

// --- server text that echoes secrets ------------------------------------------

Deno.test("a 400 whose OperationOutcome repeats the Authorization header leaks the token neither into the error nor the report", async () => {
  const h = await harness();
  const sentTokens: string[] = [];
  // The mock issues real tokens; its FHIR route is replaced by a server that
  // echoes the header it got, as a careless proxy might.
  const echoing = ((input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(BASE)) return h.fetch(input, init);
    const authorization = new Headers(init?.headers).get("authorization") ??
      "";
    sentTokens.push(authorization.replace(/^Bearer /, ""));
    return Promise.resolve(
      new Response(
        JSON.stringify({
          resourceType: "OperationOutcome",
          issue: [{
            severity: "error",
            code: "invalid",
            diagnostics: `token ${authorization} rejected for 23907640450 (${
              authorization.slice(7, 40)
            })`,
          }],
        }),
        { status: 400, headers: { "content-type": "application/fhir+json" } },
      ),
    );
  }) as typeof fetch;
  const client = new HelsenorgeClient({
    baseUrl: BASE,
    fetch: echoing,
    authorize: createAuthorizer({ tokens: h.tokens }),
    sleep: () => Promise.resolve(),
  });

  const report = await syncSample({ ...h, client });
  assert.equal(report.offerings.status, "failed");
  assert.match(
    report.offerings.error ?? "",
    /HTTP 400: token Bearer \[redacted\] rejected for 239076\*\*\*\*\* \(\[redacted\]\)/,
  );
  const text = JSON.stringify(report);
  assert.ok(sentTokens.length > 0 && sentTokens[0].startsWith("eyJ"));
  for (const token of sentTokens) {
    assert.ok(!text.includes(token.slice(0, 20)), "the report shows the token");
  }
  assert.ok(!text.includes("23907640450"));
  finish(h);
});
