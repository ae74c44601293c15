import assert from "node:assert/strict";
import { createHmacVerifier, signRequest } from "./hmac_signature.ts";

// The vector in docs/webhooks.md, computed with the README's openssl line:
// printf '%s.%s' 1781510400 "$BODY" | openssl dgst -sha256 -hmac "$SECRET"
const SECRET = "demo-secret-0123456789abcdef";
const BODY =
  '{"id":"evt-1","type":"left","nationalId":"23907640450","organizationNumber":"948554062"}';
const AT = new Date(1781510400 * 1000);
const EXPECTED =
  "v1=bdd1945e576316bcdd418ea0c8159737a2f7846294e9531ba3e629d9adaae75a";

Deno.test("signRequest() matches the openssl signature of the README's curl example", async () => {
  const headers = await signRequest(SECRET, BODY, AT);
  assert.deepEqual(headers, {
    "x-medlemsbro-timestamp": "1781510400",
    "x-medlemsbro-signature": EXPECTED,
  });
});

Deno.test("the verifier accepts any active secret, within the skew, and says why it refuses", async () => {
  const body = new TextEncoder().encode(BODY);
  const headers = { timestamp: "1781510400", signature: EXPECTED };
  const verify = (secrets: string[], at: Date) =>
    createHmacVerifier({ secrets, now: () => at })(headers, body);

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
      body,
    ),
    { ok: false, reason: "malformed" },
  );
  assert.deepEqual(
    await createHmacVerifier({ secrets: [SECRET], now: () => AT })({}, body),
    { ok: false, reason: "missing" },
  );
});
