import assert from "node:assert/strict";
import { exportPKCS8, generateKeyPair, importJWK, jwtVerify } from "jose";
import { AuthError } from "./auth_error.ts";
import { createClientAssertion } from "./client_assertion.ts";
import { generateSigningKeyPair, loadSigningKey } from "./keys.ts";

async function pem(alg: "RS256" | "ES256"): Promise<string> {
  const pair = await generateKeyPair(alg, { extractable: true });
  return await exportPKCS8(pair.privateKey);
}

Deno.test("loadSigningKey() reads a PKCS#8 PEM, picks the alg from the key and a thumbprint kid", async () => {
  const rsa = await loadSigningKey({ text: await pem("RS256") });
  assert.equal(rsa.alg, "RS256");
  assert.match(rsa.kid, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(rsa.publicJwk.d, undefined);

  const ec = await loadSigningKey({ text: await pem("ES256") });
  assert.equal(ec.alg, "ES256");
  const ps = await loadSigningKey({ text: await pem("RS256"), alg: "PS256" });
  assert.equal(ps.alg, "PS256");
});

Deno.test("loadSigningKey() reads a private JWK and keeps its kid and alg", async () => {
  const pair = await generateSigningKeyPair("ES256");
  const key = await loadSigningKey({
    text: JSON.stringify({ ...pair.privateJwk, kid: "my-kid" }),
  });
  assert.equal(key.kid, "my-kid");
  assert.equal(key.alg, "ES256");
  assert.equal(key.key.extractable, false);
});

Deno.test("loadSigningKey() refuses unusable keys without quoting them", async () => {
  const pair = await generateSigningKeyPair("ES256");
  const cases: [string, RegExp, "RS256" | undefined][] = [
    [JSON.stringify(pair.publicJwk), /is a public key/, undefined],
    [
      JSON.stringify(pair.privateJwk),
      /is an EC key; RS256 needs an RSA key/,
      "RS256",
    ],
    ['{"kty":"RSA","d":"secret', /is not valid JSON/, undefined],
    [
      "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n-----END RSA PRIVATE KEY-----",
      /must be a PKCS#8 PEM/,
      undefined,
    ],
    ["secret", /neither a PKCS#8 PEM/, undefined],
    [
      pair.publicPem,
      /^KEY is a public key; the private key \(a PKCS#8 PEM or a private JWK\) is needed to sign$/,
      undefined,
    ],
    [
      "-----BEGIN RSA PUBLIC KEY-----\nc2VjcmV0\n-----END RSA PUBLIC KEY-----",
      /^KEY is a public key; the private key/,
      undefined,
    ],
    [
      "-----BEGIN CERTIFICATE-----\nc2VjcmV0\n-----END CERTIFICATE-----",
      /^KEY is a certificate, which holds only a public key; the private key/,
      undefined,
    ],
    [
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nc2VjcmV0\n-----END ENCRYPTED PRIVATE KEY-----",
      /^KEY is encrypted; write it unencrypted \(PKCS#8\) with: openssl pkey/,
      undefined,
    ],
  ];
  for (const [text, message, alg] of cases) {
    const error = await loadSigningKey({ text, alg, source: "KEY" }).catch((
      e,
    ) => e);
    assert.ok(error instanceof AuthError);
    assert.equal(error.code, "ERR_AUTH_KEY");
    assert.match(error.message, message);
    assert.ok(
      !error.message.includes("secret") && !error.message.includes("c2Vj"),
    );
  }
});

/** The JWK with one base64url member changed in its middle. */
function damaged(jwk: Record<string, unknown>, member: string) {
  const value = String(jwk[member]);
  const at = Math.floor(value.length / 2);
  const swapped = value[at] === "A" ? "B" : "A";
  return {
    ...jwk,
    [member]: value.slice(0, at) + swapped + value.slice(at + 1),
  };
}

Deno.test("loadSigningKey() refuses a key that cannot sign or whose public part does not verify", async () => {
  const rsa = await generateSigningKeyPair("RS256");
  const ec = await generateSigningKeyPair("ES256");
  const other = await generateSigningKeyPair("ES256");
  const cases: [Record<string, unknown>, RegExp][] = [
    [
      damaged(rsa.privateJwk, "d"),
      /^KEY could not sign with RS256: its private part is damaged$/,
    ],
    [{ ...rsa.privateJwk, d: "AAAA" }, /^KEY could not sign with RS256/],
    [damaged(rsa.privateJwk, "n"), /^KEY (could not sign|is inconsistent)/],
    [
      { ...ec.privateJwk, x: other.publicJwk.x, y: other.publicJwk.y },
      /^KEY is inconsistent: a signature made with its private part does not verify with its public part/,
    ],
    [{ ...ec.privateJwk, d: other.privateJwk.d }, /^KEY is inconsistent/],
    [
      { ...ec.privateJwk, x: "AAAA", y: "AAAA" },
      /^KEY (is inconsistent|could not be used)/,
    ],
  ];
  for (const [jwk, message] of cases) {
    const error = await loadSigningKey({
      text: JSON.stringify(jwk),
      source: "KEY",
    }).catch((e) => e);
    assert.ok(error instanceof AuthError, `${message}: got ${error}`);
    assert.equal(error.code, "ERR_AUTH_KEY");
    assert.match(error.message, message);
    assert.ok(!error.message.includes(String(jwk.d).slice(0, 8)));
  }
});

Deno.test("createClientAssertion() sets iss = sub, aud, a fresh jti, iat = nbf and exp at most 60 s ahead", async () => {
  const pair = await generateSigningKeyPair("ES256");
  const key = await loadSigningKey({ text: JSON.stringify(pair.privateJwk) });
  const now = () => Date.UTC(2026, 0, 5, 8, 0, 0);
  const make = () =>
    createClientAssertion({ clientId: "c", audience: "https://sts", key, now });
  const [a, b] = [await make(), await make()];
  const verifyKey = await importJWK(pair.publicJwk, "ES256");
  const { payload, protectedHeader } = await jwtVerify(a, verifyKey, {
    currentDate: new Date(now()),
  });
  assert.equal(protectedHeader.kid, pair.kid);
  assert.equal(payload.iss, "c");
  assert.equal(payload.sub, "c");
  assert.equal(payload.aud, "https://sts");
  assert.equal(payload.nbf, payload.iat);
  assert.equal(payload.exp! - payload.iat!, 30);
  const second =
    (await jwtVerify(b, verifyKey, { currentDate: new Date(now()) })).payload;
  assert.notEqual(payload.jti, second.jti);

  await assert.rejects(
    createClientAssertion({
      clientId: "c",
      audience: "x",
      key,
      lifetimeSeconds: 61,
    }),
    RangeError,
  );
});
