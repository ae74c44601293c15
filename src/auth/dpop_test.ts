import assert from "node:assert/strict";
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  type JWK,
  jwtVerify,
} from "jose";
import { accessTokenHash, createDpopProofer, htu } from "./dpop.ts";

const NOW = Date.UTC(2026, 0, 5, 8, 0, 0);
const API = "https://api.example.test/helsekontakter/api/v1";

/** Verify a proof with the key in its own header, as a server does. */
async function open(proof: string) {
  const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
    typ: "dpop+jwt",
    currentDate: new Date(NOW),
  });
  return { payload, header: protectedHeader };
}

Deno.test("proof() signs htm, htu, iat and a jti with the key in its dpop+jwt header", async () => {
  const dpop = await createDpopProofer({ now: () => NOW + 999 });
  const proof = await dpop.proof({ method: "post", url: API });
  const { payload, header } = await open(proof);

  assert.equal(header.typ, "dpop+jwt");
  assert.equal(header.alg, "ES256");
  assert.equal(payload.htm, "POST");
  assert.equal(payload.htu, API);
  assert.equal(payload.iat, NOW / 1000, "whole seconds of the injected clock");
  assert.match(String(payload.jti), /^[0-9a-f-]{36}$/);
  assert.equal(payload.nonce, undefined);
  assert.equal(payload.ath, undefined, "no ath without an access token");
});

Deno.test("proof() puts only the public key in the header, whose thumbprint is jkt", async () => {
  const dpop = await createDpopProofer();
  const header = decodeProtectedHeader(
    await dpop.proof({ method: "GET", url: API }),
  );
  const jwk = header.jwk as JWK;
  assert.equal(jwk.kty, "EC");
  assert.equal(jwk.crv, "P-256");
  for (const secret of ["d", "p", "q", "dp", "dq", "qi", "k"]) {
    assert.equal(jwk[secret as keyof JWK], undefined, `no ${secret}`);
  }
  assert.equal(await calculateJwkThumbprint(jwk), dpop.jkt);
});

Deno.test("proof() drops the query and fragment from htu", async () => {
  const dpop = await createDpopProofer({ now: () => NOW });
  const proof = await dpop.proof({
    method: "POST",
    url: `${API}?_format=json&x=1#part`,
  });
  assert.equal((await open(proof)).payload.htu, API);
  assert.equal(htu("https://h.test/a/b?c=d#e"), "https://h.test/a/b");
  assert.equal(htu("https://h.test"), "https://h.test/");
});

Deno.test("proof() gives every proof its own jti", async () => {
  const dpop = await createDpopProofer({ now: () => NOW });
  const jtis = new Set<unknown>();
  for (let i = 0; i < 20; i++) {
    const proof = await dpop.proof({ method: "POST", url: API });
    jtis.add((await open(proof)).payload.jti);
  }
  assert.equal(jtis.size, 20);
});

Deno.test("proof() carries the server's nonce when given", async () => {
  const dpop = await createDpopProofer({ now: () => NOW });
  const proof = await dpop.proof({ method: "POST", url: API, nonce: "n-42" });
  assert.equal((await open(proof)).payload.nonce, "n-42");
});

Deno.test("proof() binds the access token with ath = base64url(SHA-256(token))", async () => {
  const dpop = await createDpopProofer({ now: () => NOW });
  const token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
  const proof = await dpop.proof({
    method: "GET",
    url: API,
    accessToken: token,
  });
  // The example access token and its ath from RFC 9449 §7.1.
  const expected = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo";
  assert.equal(await accessTokenHash(token), expected);
  assert.equal((await open(proof)).payload.ath, expected);
  assert.ok(!proof.includes(token), "the token itself is not in the proof");
});

Deno.test("createDpopProofer() signs with a given key pair", async () => {
  const keyPair = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign", "verify"],
  );
  const dpop = await createDpopProofer({ keyPair, now: () => NOW });
  const proof = await dpop.proof({ method: "POST", url: API });
  const { payload } = await jwtVerify(proof, keyPair.publicKey, {
    currentDate: new Date(NOW),
  });
  assert.equal(payload.htm, "POST");
});
