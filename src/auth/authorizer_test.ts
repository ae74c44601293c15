import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import { createAuthorizer } from "./authorizer.ts";
import { accessTokenHash, createDpopProofer } from "./dpop.ts";
import type { AccessToken } from "./token_source.ts";

const API = "https://api.example.test/helsekontakter/api/v1";

/** A token source that hands out `type` tokens and records invalidations. */
function fakeTokens(type: AccessToken["type"] = "Bearer") {
  let n = 1;
  const invalidated: string[] = [];
  return {
    invalidated,
    get: () =>
      Promise.resolve({ value: `tok-${n}`, type, expiresAt: 0 } as AccessToken),
    invalidate(token: string) {
      invalidated.push(token);
      if (token === `tok-${n}`) n++;
    },
  };
}

function refusal(
  status: number,
  headers: Record<string, string>,
  sent: Record<string, string>,
) {
  return { status, headers: new Headers(headers), sent };
}

Deno.test("headers() sends a Bearer token as is, with no proof", async () => {
  const authorizer = createAuthorizer({ tokens: fakeTokens() });
  assert.deepEqual(
    await authorizer.headers({ method: "POST", url: API }),
    { authorization: "Bearer tok-1" },
  );
});

Deno.test("headers() sends a DPoP token with a proof bound to the call and the token", async () => {
  const dpop = await createDpopProofer();
  const authorizer = createAuthorizer({ tokens: fakeTokens("DPoP"), dpop });
  const headers = await authorizer.headers({
    method: "POST",
    url: `${API}?q=1`,
  });
  assert.equal(headers.authorization, "DPoP tok-1");
  const proof = decodeJwt(headers.dpop);
  assert.equal(proof.htm, "POST");
  assert.equal(proof.htu, API);
  assert.equal(proof.ath, await accessTokenHash("tok-1"));
  assert.equal(proof.nonce, undefined);
});

Deno.test("headers() refuses a DPoP token when no proofer was given", async () => {
  const authorizer = createAuthorizer({ tokens: fakeTokens("DPoP") });
  await assert.rejects(
    authorizer.headers({ method: "POST", url: API }),
    TypeError,
  );
});

Deno.test("onRefused() drops the refused token on 401 and 403 and asks for a new one", async () => {
  for (const status of [401, 403]) {
    const tokens = fakeTokens();
    const authorizer = createAuthorizer({ tokens });
    const sent = await authorizer.headers({ method: "POST", url: API });
    const reason = await authorizer.onRefused!(
      refusal(
        status,
        { "www-authenticate": 'Bearer error="invalid_token"' },
        sent,
      ),
    );
    assert.equal(reason, "token");
    assert.deepEqual(tokens.invalidated, ["tok-1"]);
    assert.equal(
      (await authorizer.headers({ method: "POST", url: API })).authorization,
      "Bearer tok-2",
    );
  }
});

Deno.test("onRefused() drops only the token the refused call carried", async () => {
  const tokens = fakeTokens("DPoP");
  const authorizer = createAuthorizer({
    tokens,
    dpop: await createDpopProofer(),
  });
  await authorizer.onRefused!(
    refusal(401, {}, { authorization: "DPoP tok-0", dpop: "proof" }),
  );
  assert.deepEqual(tokens.invalidated, ["tok-0"]);
  assert.equal(
    (await authorizer.headers({ method: "POST", url: API })).authorization,
    "DPoP tok-1",
    "the current token stays",
  );

  const bare = fakeTokens();
  await createAuthorizer({ tokens: bare }).onRefused!(refusal(401, {}, {}));
  assert.deepEqual(bare.invalidated, [], "nothing sent, nothing dropped");
});

Deno.test("onRefused() answers use_dpop_nonce by keeping the token and sending the nonce next", async () => {
  const tokens = fakeTokens("DPoP");
  const authorizer = createAuthorizer({
    tokens,
    dpop: await createDpopProofer(),
  });
  const sent = await authorizer.headers({ method: "POST", url: API });
  const reason = await authorizer.onRefused!(refusal(401, {
    "www-authenticate": 'DPoP error="use_dpop_nonce", error_description="x"',
    "dpop-nonce": "server-nonce",
  }, sent));
  assert.equal(reason, "dpop-nonce");
  assert.deepEqual(tokens.invalidated, []);

  const next = await authorizer.headers({ method: "POST", url: API });
  assert.equal(next.authorization, "DPoP tok-1");
  assert.equal(decodeJwt(next.dpop).nonce, "server-nonce");
});

Deno.test("onRefused() treats a nonce challenge without a DPoP-Nonce or proofer as a token refusal", async () => {
  const challenge = { "www-authenticate": 'DPoP error="use_dpop_nonce"' };
  const noNonce = createAuthorizer({
    tokens: fakeTokens("DPoP"),
    dpop: await createDpopProofer(),
  });
  assert.equal(
    await noNonce.onRefused!(refusal(401, challenge, {})),
    "token",
  );

  const noProofer = createAuthorizer({ tokens: fakeTokens() });
  assert.equal(
    await noProofer.onRefused!(
      refusal(401, { ...challenge, "dpop-nonce": "n" }, {}),
    ),
    "token",
  );
});

Deno.test("onRefused() gives no reason to retry other statuses", async () => {
  const authorizer = createAuthorizer({ tokens: fakeTokens() });
  assert.equal(await authorizer.onRefused!(refusal(400, {}, {})), undefined);
  assert.equal(await authorizer.onRefused!(refusal(429, {}, {})), undefined);
});
