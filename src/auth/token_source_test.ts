import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { AuthError } from "./auth_error.ts";
import { createDpopProofer } from "./dpop.ts";
import { generateSigningKeyPair, loadSigningKey } from "./keys.ts";
import {
  helseIdTokenUrl,
  stsTokenUrl,
  TokenSource,
  type TokenSourceOptions,
} from "./token_source.ts";

const AUTHORITY = "https://helseid.example.test";
const TOKEN_URL = helseIdTokenUrl(AUTHORITY);
const START = Date.UTC(2026, 0, 5, 8, 0, 0);
const key = await loadSigningKey({
  text: JSON.stringify((await generateSigningKeyPair("ES256")).privateJwk),
});

type Reply = { status?: number; body?: unknown; headers?: HeadersInit };

/** A token endpoint that answers from `replies` (then with new tokens). */
function tokenEndpoint(replies: (Reply | Error)[] = []) {
  const requests: { form: URLSearchParams; headers: Headers }[] = [];
  let issued = 0;
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const fetch = async (_url: RequestInfo | URL, init?: RequestInit) => {
    requests.push({
      form: new URLSearchParams(String(init?.body)),
      headers: new Headers(init?.headers),
    });
    if (gate) await gate;
    const reply = replies.shift() ??
      { body: { access_token: `token-${++issued}`, expires_in: 300 } };
    if (reply instanceof Error) throw reply;
    return new Response(JSON.stringify(reply.body ?? {}), {
      status: reply.status ?? 200,
      headers: { "content-type": "application/json", ...reply.headers },
    });
  };
  return {
    fetch: fetch as typeof globalThis.fetch,
    requests,
    /** Hold answers until `open()`: for concurrent callers. */
    hold() {
      gate = new Promise((resolve) => release = resolve);
    },
    open() {
      gate = undefined;
      release?.();
    },
  };
}

function clock(start = START) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => void (t += ms),
  };
}

function source(
  endpoint: ReturnType<typeof tokenEndpoint>,
  extra: Partial<TokenSourceOptions> = {},
) {
  return new TokenSource({
    flavour: "helseid",
    tokenUrl: TOKEN_URL,
    clientId: "client-1",
    key,
    fetch: endpoint.fetch,
    now: () => START,
    ...extra,
  });
}

Deno.test("get() posts client credentials with a private_key_jwt assertion for HelseID's authority", async () => {
  const endpoint = tokenEndpoint();
  const token = await source(endpoint, { scope: "Helsekontakter extra" })
    .get();
  assert.deepEqual(token, {
    value: "token-1",
    type: "Bearer",
    expiresAt: START + 300_000,
    refreshAt: START + 270_000,
  });

  const { form, headers } = endpoint.requests[0];
  assert.equal(
    headers.get("content-type"),
    "application/x-www-form-urlencoded",
  );
  assert.equal(form.get("grant_type"), "client_credentials");
  assert.equal(form.get("client_id"), "client-1");
  assert.equal(form.get("scope"), "Helsekontakter extra");
  assert.equal(
    form.get("client_assertion_type"),
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
  );
  const claims = decodeJwt(form.get("client_assertion")!);
  assert.equal(claims.aud, AUTHORITY);
  assert.equal(claims.iss, "client-1");
  assert.equal(claims.iat, START / 1000);
  assert.equal(headers.get("dpop"), null);
});

Deno.test("get() addresses an STS assertion to the token URL itself", async () => {
  const endpoint = tokenEndpoint();
  const tokenUrl = stsTokenUrl("https://api.example.test/helsekontakter/v1");
  assert.equal(tokenUrl, "https://api.example.test/sts/Token");
  await source(endpoint, { flavour: "sts", tokenUrl }).get();
  const claims = decodeJwt(endpoint.requests[0].form.get("client_assertion")!);
  assert.equal(claims.aud, tokenUrl);
});

Deno.test("get() reuses a token until 30 s before it expires, then fetches a new one", async () => {
  const endpoint = tokenEndpoint();
  const time = clock();
  const tokens = source(endpoint, { now: time.now });

  assert.equal((await tokens.get()).value, "token-1");
  time.advance(269_999);
  assert.equal((await tokens.get()).value, "token-1");
  assert.equal(endpoint.requests.length, 1);

  time.advance(1);
  assert.equal((await tokens.get()).value, "token-2");
  assert.equal(endpoint.requests.length, 2);
});

Deno.test("get() keeps half of a short lifetime and follows refreshMarginSeconds", async () => {
  const short = tokenEndpoint([{
    body: { access_token: "a", expires_in: 40 },
  }]);
  const time = clock();
  const tokens = source(short, { now: time.now });
  await tokens.get();
  time.advance(19_999);
  assert.equal((await tokens.get()).value, "a", "40 s: used for 20 s");
  time.advance(1);
  assert.equal((await tokens.get()).value, "token-1");

  const margin = tokenEndpoint();
  const later = clock();
  const withMargin = source(margin, {
    now: later.now,
    refreshMarginSeconds: 120,
  });
  await withMargin.get();
  later.advance(180_000);
  await withMargin.get();
  assert.equal(margin.requests.length, 2, "300 s - 120 s margin");
});

Deno.test("get() makes one request however many callers ask at once", async () => {
  const endpoint = tokenEndpoint();
  const tokens = source(endpoint);
  endpoint.hold();
  const waiting = Array.from({ length: 25 }, () => tokens.get());
  await Promise.resolve();
  endpoint.open();
  const got = await Promise.all(waiting);
  assert.equal(endpoint.requests.length, 1);
  assert.ok(got.every((token) => token.value === "token-1"));
});

Deno.test("get() after a failed request tries again rather than keeping the failure", async () => {
  const endpoint = tokenEndpoint([{ status: 503 }]);
  const tokens = source(endpoint);
  const [first, second] = await Promise.allSettled([
    tokens.get(),
    tokens.get(),
  ]);
  assert.equal(first.status, "rejected");
  assert.equal(second.status, "rejected");
  assert.equal(endpoint.requests.length, 1, "both waited on one request");
  assert.equal((await tokens.get()).value, "token-1");
});

Deno.test("invalidate() drops only the token it names", async () => {
  const endpoint = tokenEndpoint();
  const tokens = source(endpoint);
  await tokens.get();

  tokens.invalidate("some-older-token");
  assert.equal((await tokens.get()).value, "token-1");
  assert.equal(endpoint.requests.length, 1);

  tokens.invalidate("token-1");
  assert.equal((await tokens.get()).value, "token-2");
  tokens.invalidate("token-1");
  assert.equal((await tokens.get()).value, "token-2", "a late refusal");
  assert.equal(endpoint.requests.length, 2);
});

Deno.test("a use_dpop_nonce answer is retried exactly once, with the nonce and a fresh jti", async () => {
  const nonceError = {
    status: 400,
    body: { error: "use_dpop_nonce", error_description: "nonce required" },
    headers: { "dpop-nonce": "n-1" },
  };
  const endpoint = tokenEndpoint([
    nonceError,
    { body: { access_token: "bound", token_type: "DPoP", expires_in: 60 } },
    { body: { access_token: "bound-2", token_type: "DPoP" } },
  ]);
  const dpop = await createDpopProofer({ now: () => START });
  const tokens = source(endpoint, { dpop });
  const token = await tokens.get();
  assert.equal(token.type, "DPoP");
  assert.equal(endpoint.requests.length, 2);

  const [first, second] = endpoint.requests.map(({ form, headers }) => ({
    jti: decodeJwt(form.get("client_assertion")!).jti,
    proof: decodeJwt(headers.get("dpop")!),
    typ: decodeProtectedHeader(headers.get("dpop")!).typ,
  }));
  assert.notEqual(first.jti, second.jti, "a new assertion");
  assert.notEqual(first.proof.jti, second.proof.jti, "a new proof");
  assert.equal(first.proof.nonce, undefined);
  assert.equal(second.proof.nonce, "n-1");
  assert.equal(second.proof.htu, TOKEN_URL);
  assert.equal(second.typ, "dpop+jwt");

  // The nonce is remembered for the next token request.
  tokens.invalidate("bound");
  await tokens.get();
  assert.equal(
    decodeJwt(endpoint.requests[2].headers.get("dpop")!).nonce,
    "n-1",
  );

  const stubborn = tokenEndpoint([nonceError, nonceError, nonceError]);
  const error = await source(stubborn, { dpop }).get().catch((e) => e);
  assert.ok(error instanceof AuthError);
  assert.equal(error.code, "ERR_AUTH_TOKEN_REFUSED");
  assert.equal(error.oauthError, "use_dpop_nonce");
  assert.equal(stubborn.requests.length, 2, "one retry, no more");
});

Deno.test("without DPoP a use_dpop_nonce answer is a refusal, not a retry", async () => {
  const endpoint = tokenEndpoint([{
    status: 400,
    body: { error: "use_dpop_nonce" },
    headers: { "dpop-nonce": "n-1" },
  }]);
  await assert.rejects(source(endpoint).get(), AuthError);
  assert.equal(endpoint.requests.length, 1);
});

Deno.test("a refusal that asks for DPoP when no proof was sent says to set --dpop", async () => {
  const replies: Reply[] = [
    { status: 400, body: { error: "invalid_dpop_proof" } },
    { status: 400, body: { error: "use_dpop_nonce" } },
    {
      status: 401,
      body: { error: "invalid_client" },
      headers: { "www-authenticate": 'DPoP error="invalid_token"' },
    },
    {
      status: 400,
      body: { error: "invalid_request" },
      headers: { "dpop-nonce": "n" },
    },
  ];
  for (const reply of replies) {
    const error = await source(tokenEndpoint([reply])).get().catch((e) => e);
    assert.ok(error instanceof AuthError);
    assert.match(
      error.message,
      /; the server requires DPoP-bound tokens; set --dpop \(MEDLEMSBRO_DPOP=true\)$/,
    );
    assert.doesNotMatch(error.message, /proof was not accepted/);
  }

  // With a proof sent, a refused proof is named as such.
  const dpop = await createDpopProofer();
  const endpoint = tokenEndpoint([{
    status: 400,
    body: { error: "invalid_dpop_proof", error_description: "bad htu" },
  }]);
  const error = await source(endpoint, { dpop }).get().catch((e) => e);
  assert.match(
    error.message,
    /\(invalid_dpop_proof: bad htu\); the DPoP proof was not accepted$/,
  );
});

Deno.test("get() refuses a Bearer token when DPoP was asked for", async () => {
  const endpoint = tokenEndpoint();
  const dpop = await createDpopProofer();
  const error = await source(endpoint, { dpop }).get().catch((e) => e);
  assert.equal(error.code, "ERR_AUTH_TOKEN_REFUSED");
  assert.match(error.message, /issued a Bearer token although DPoP/);
});

Deno.test("a refusal names the endpoint, error and hint, and never a token or assertion", async () => {
  const leaked = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
  const endpoint = tokenEndpoint([{
    status: 401,
    body: {
      error: "invalid_client",
      error_description:
        `bad assertion ${leaked}\n-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----`,
    },
  }]);
  const error = await source(endpoint).get().catch((e) => e);
  assert.ok(error instanceof AuthError);
  assert.equal(error.code, "ERR_AUTH_TOKEN_REFUSED");
  assert.equal(error.status, 401);
  assert.equal(error.retryable, false);
  assert.match(
    error.message,
    /^HelseID \(https:\/\/helseid\.example\.test\/connect\/token\) refused the token request with HTTP 401 \(invalid_client: bad assertion \[redacted\] \[redacted\]\); check the client id/,
  );
  const assertion = endpoint.requests[0].form.get("client_assertion")!;
  for (const secret of [leaked, assertion, "MIIB", "BEGIN"]) {
    assert.ok(!error.message.includes(secret));
  }
});

Deno.test("a refusal masks a national id and a Bearer value in the endpoint's error_description", async () => {
  const endpoint = tokenEndpoint([{
    status: 400,
    body: {
      error: "invalid_request",
      error_description:
        "subject 23907640450 not allowed; got Bearer 2YotnFZFEjr1zCsicMWpAA",
    },
  }]);
  const error = await source(endpoint).get().catch((e) => e);
  assert.ok(error instanceof AuthError);
  assert.match(
    error.message,
    /\(invalid_request: subject 239076\*\*\*\*\* not allowed; got Bearer \[redacted\]\)$/,
  );
  assert.doesNotMatch(error.message, /23907640450|2YotnFZ/);
});

Deno.test("no answer is ERR_AUTH_TOKEN_UNAVAILABLE, retryable, with secrets redacted", async () => {
  const cases: [Reply | Error, RegExp][] = [
    [{ status: 502 }, /: HTTP 502$/],
    [
      new TypeError("reset while sending eyJhbGciOi.eyJzdWIi.c2ln"),
      /: network error: reset while sending \[redacted\]$/,
    ],
    [new DOMException("late", "TimeoutError"), /: no answer within 10000 ms$/],
  ];
  for (const [reply, message] of cases) {
    const endpoint = tokenEndpoint([reply]);
    const error = await source(endpoint).get().catch((e) => e);
    assert.ok(error instanceof AuthError);
    assert.equal(error.code, "ERR_AUTH_TOKEN_UNAVAILABLE");
    assert.equal(error.retryable, true);
    assert.match(error.message, message);
  }
});

Deno.test("an answer without access_token is refused; a missing expires_in means 60 s", async () => {
  const endpoint = tokenEndpoint([
    { body: { token_type: "Bearer" } },
    { body: { access_token: "t" } },
  ]);
  const tokens = source(endpoint);
  await assert.rejects(tokens.get(), /answered without an access_token/);
  assert.equal((await tokens.get()).expiresAt, START + 60_000);
});

Deno.test("the constructor refuses a token URL that is not http(s) and bad timings", () => {
  const endpoint = tokenEndpoint();
  assert.throws(() => source(endpoint, { tokenUrl: "nope" }), TypeError);
  assert.throws(
    () => source(endpoint, { tokenUrl: "ftp://h.test/token" }),
    TypeError,
  );
  assert.throws(() => source(endpoint, { timeoutMs: 0 }), RangeError);
  assert.throws(
    () => source(endpoint, { refreshMarginSeconds: -1 }),
    RangeError,
  );
});
