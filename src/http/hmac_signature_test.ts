import assert from "node:assert/strict";
import { createHmacVerifier, signRequest } from "./hmac_signature.ts";

// The vectors in docs/webhooks.md, computed with the README's openssl line:
// printf '%s.%s.%s.%s' 1781510400 POST /webhooks/members "$BODY" |
//   openssl dgst -sha256 -hmac "$SECRET"
const SECRET = "demo-secret-0123456789abcdef";
const BODY =
  '{"id":"evt-1","type":"left","nationalId":"23907640450","organizationNumber":"948554062"}';
const AT = new Date(1781510400 * 1000);
const POST = { method: "POST", path: "/webhooks/members", body: BODY };
const EXPECTED =
  "v1=045d6a5688a826435a3b3e268afa94885df1525785c181b9649076836ea8d3a0";
// printf '%s.%s.%s.%s' 1781510400 GET /status "" | openssl dgst ...
const EXPECTED_GET =
  "v1=15aa89b102c3299d33f370abfef33600dcb62e3da000d67601e6d14ec0d64a53";

Deno.test("signRequest() matches the openssl signature of the README's curl example", async () => {
  assert.deepEqual(await signRequest(SECRET, POST, AT), {
    "x-medlemsbro-timestamp": "1781510400",
    "x-medlemsbro-signature": EXPECTED,
  });
  assert.equal(
    (await signRequest(SECRET, { method: "get", path: "/status" }, AT))[
      "x-medlemsbro-signature"
    ],
    EXPECTED_GET,
  );
});

Deno.test("a signature covers the method and path: another route or method does not match", async () => {
  const verify = createHmacVerifier({ secrets: [SECRET], now: () => AT });
  const headers = { timestamp: "1781510400", signature: EXPECTED_GET };
  assert.equal(
    (await verify(headers, { method: "GET", path: "/status" })).ok,
    true,
  );
  for (
    const other of [
      { method: "GET", path: "/webhooks/members/full/abc" },
      { method: "GET", path: "/status?x=1" },
      { method: "POST", path: "/status" },
    ]
  ) {
    assert.deepEqual(await verify(headers, other), {
      ok: false,
      reason: "mismatch",
    });
  }
});

Deno.test("the verifier accepts any active secret, within the skew, and says why it refuses", async () => {
  const body = new TextEncoder().encode(BODY);
  const headers = { timestamp: "1781510400", signature: EXPECTED };
  const request = { ...POST, body };
  const verify = (secrets: string[], at: Date) =>
    createHmacVerifier({ secrets, now: () => at })(headers, request);

  const ok = await verify(["another-secret-0123456789abcdef", SECRET], AT);
  assert.equal(ok.ok && ok.secretIndex, 1);
  assert.deepEqual(
    await verify([SECRET], new Date(+AT + 301_000)),
    { ok: false, reason: "stale" },
  );
  assert.deepEqual(
    await verify([SECRET], new Date(+AT + 299_000)).then((r) => r.ok),
    true,
  );
  assert.deepEqual(
    await verify(["another-secret-0123456789abcdef"], AT),
    { ok: false, reason: "mismatch" },
  );
  assert.deepEqual(
    await createHmacVerifier({ secrets: [SECRET], now: () => AT })(
      { timestamp: "soon", signature: EXPECTED },
      request,
    ),
    { ok: false, reason: "malformed" },
  );
  assert.deepEqual(
    await createHmacVerifier({ secrets: [SECRET], now: () => AT })(
      {},
      request,
    ),
    { ok: false, reason: "missing" },
  );
});
