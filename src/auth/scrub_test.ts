import assert from "node:assert/strict";
import { redactSecrets, scrubServerText } from "./scrub.ts";

const JWT = "eyJhbGciOiJIUzI1NiJ9.SECRETTOKEN.sig";

Deno.test("redactSecrets() replaces JWT-shaped strings with or without the signature, and bare headers", () => {
  for (
    const secret of [
      JWT,
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0",
      "eyJhbGciOiJIUzI1NiJ9",
      "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d",
    ]
  ) {
    assert.equal(redactSecrets(`got ${secret} here`), "got [redacted] here");
  }
});

Deno.test("redactSecrets() replaces Bearer and DPoP credentials but leaves prose about them", () => {
  assert.equal(
    redactSecrets("Authorization: Bearer 2YotnFZFEjr1zCsicMWpAA rejected"),
    "Authorization: Bearer [redacted] rejected",
  );
  assert.equal(
    redactSecrets("dpop QWxhZGRpbjpvcGVuIHNlc2FtZQ== refused"),
    "dpop [redacted] refused",
  );
  assert.equal(redactSecrets("Bearer token-1"), "Bearer [redacted]");
  for (
    const prose of [
      "a DPoP proof is required",
      "the DPoP proof must carry the server's nonce",
      "a DPoP-bound token is required",
      'Bearer realm="helsenorge", error="invalid_token"',
      "send the Bearer token.",
    ]
  ) {
    assert.equal(redactSecrets(prose), prose);
  }
});

Deno.test("redactSecrets() replaces PEM blocks, named token fields and private JWK members", () => {
  assert.equal(
    redactSecrets(
      "key -----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY----- end",
    ),
    "key [redacted] end",
  );
  assert.equal(
    redactSecrets("cut -----BEGIN PRIVATE KEY-----\nMIIBVQIBADAN"),
    "cut [redacted]",
  );
  assert.equal(
    redactSecrets('{"access_token": "abc123", "client_assertion":"x.y"}'),
    '{"access_token": "[redacted]", "client_assertion":"[redacted]"}',
  );
  assert.equal(
    redactSecrets("form access_token=opaque&scope=x"),
    "form access_token=[redacted]&scope=x",
  );
  assert.equal(
    redactSecrets('{"kty":"EC","d":"U0VDUkVU","x":"pub"}'),
    '{"kty":"EC","d":"[redacted]","x":"pub"}',
  );
});

Deno.test("scrubServerText() redacts secrets, masks national ids and cuts after both", () => {
  assert.equal(
    scrubServerText(`token Bearer ${JWT} rejected for 23907640450`),
    "token Bearer [redacted] rejected for 239076*****",
  );
  assert.equal(scrubServerText("id 239076 40450"), "id 239076*****");
  // The cut comes last: an id straddling it is masked before it is cut.
  assert.equal(scrubServerText("xx 23907640450", 8), "xx 23907...");
  assert.equal(scrubServerText("line\r\nbreak"), "line break");
});
