import assert from "node:assert/strict";
import { SettingsError } from "../config/settings.ts";
import { generateSigningKeyPair } from "./keys.ts";
import { loadAuthKey, loadAuthSettings, where } from "./settings.ts";

/** The SettingsError a call throws; fails when it throws nothing else. */
function settingsError(run: () => unknown): SettingsError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof SettingsError, String(error));
    return error;
  }
  assert.fail("no SettingsError thrown");
}

Deno.test("loadAuthSettings() defaults to no mode, scope Helsekontakter and no DPoP", () => {
  assert.deepEqual(loadAuthSettings({}, {}), {
    scope: "Helsekontakter",
    dpop: false,
  });
});

Deno.test("loadAuthSettings() takes flags over variables and ignores empty variables", () => {
  const settings = loadAuthSettings(
    { auth: "sts", dpop: true },
    {
      MEDLEMSBRO_AUTH: "helseid",
      MEDLEMSBRO_CLIENT_ID: "client-1",
      MEDLEMSBRO_KEY_FILE: "/keys/private.jwk.json",
      MEDLEMSBRO_SCOPE: "",
      MEDLEMSBRO_DPOP: "false",
      MEDLEMSBRO_TOKEN_URL: "http://127.0.0.1:8787/sts/Token",
    },
  );
  assert.equal(settings.auth, "sts");
  assert.equal(settings.dpop, true);
  assert.equal(settings.clientId, "client-1");
  assert.equal(settings.scope, "Helsekontakter");
  assert.equal(settings.tokenUrl, "http://127.0.0.1:8787/sts/Token");
  assert.equal(
    loadAuthSettings({}, { MEDLEMSBRO_DPOP: "1" }).dpop,
    true,
  );
});

Deno.test("loadAuthSettings() names each missing setting by flag and variable", () => {
  for (const mode of ["helseid", "sts"]) {
    const error = settingsError(() => loadAuthSettings({ auth: mode }, {}));
    assert.deepEqual(error.issues, [
      `--client-id (MEDLEMSBRO_CLIENT_ID): is required with --auth ${mode}`,
      `--key-file (MEDLEMSBRO_KEY_FILE) or MEDLEMSBRO_KEY_JWK: exactly one is required with --auth ${mode}`,
    ]);
  }
  const both = settingsError(() =>
    loadAuthSettings({ auth: "sts", clientId: "c", keyFile: "k" }, {
      MEDLEMSBRO_KEY_JWK: "{}",
    })
  );
  assert.match(both.issues[0], /exactly one is required/);
});

Deno.test("loadAuthSettings() needs no client or key for the in-process mock's demo client", () => {
  const settings = loadAuthSettings({ auth: "helseid" }, {}, {
    demoClient: true,
  });
  assert.equal(settings.auth, "helseid");
});

Deno.test("loadAuthSettings() reports every malformed setting at once, never echoing a value", () => {
  const values = {
    auth: "kerberos-SECRET1",
    clientId: "has space SECRET2",
    alg: "HS256-SECRET3",
    scope: 'Helse"kontakter SECRET4',
    helseIdAuthority: "ftp://SECRET5.example",
    tokenUrl: "not a url SECRET6",
    dpop: "yes-SECRET7",
  };
  const error = settingsError(() =>
    loadAuthSettings({
      auth: values.auth,
      clientId: values.clientId,
      alg: values.alg,
    }, {
      MEDLEMSBRO_SCOPE: values.scope,
      MEDLEMSBRO_HELSEID_AUTHORITY: values.helseIdAuthority,
      MEDLEMSBRO_TOKEN_URL: values.tokenUrl,
      MEDLEMSBRO_DPOP: values.dpop,
    })
  );
  const expected = [
    /^--auth \(MEDLEMSBRO_AUTH\): must be one of none, helseid, sts$/,
    /^--client-id \(MEDLEMSBRO_CLIENT_ID\): must be printable ASCII without spaces$/,
    /^--alg \(MEDLEMSBRO_ALG\): must be one of RS256, .*ES384$/,
    /^--scope \(MEDLEMSBRO_SCOPE\): must be scope names separated by single spaces$/,
    /^--helseid-authority \(MEDLEMSBRO_HELSEID_AUTHORITY\): must be an http\(s\) URL$/,
    /^--token-url \(MEDLEMSBRO_TOKEN_URL\): must be an http\(s\) URL$/,
    /^--dpop \(MEDLEMSBRO_DPOP\): must be true or false$/,
  ];
  assert.equal(error.issues.length, expected.length, error.message);
  for (const pattern of expected) {
    assert.ok(
      error.issues.some((issue) => pattern.test(issue)),
      `${pattern} in ${error.message}`,
    );
  }
  assert.doesNotMatch(error.message, /SECRET/);
});

Deno.test("loadAuthSettings() reports a bad value together with a missing one", () => {
  const error = settingsError(() =>
    loadAuthSettings({ auth: "helseid" }, {
      MEDLEMSBRO_KEY_FILE: "k",
      MEDLEMSBRO_ALG: "none",
    })
  );
  assert.deepEqual(error.issues.map((issue) => issue.split(":")[0]), [
    "--alg (MEDLEMSBRO_ALG)",
    "--client-id (MEDLEMSBRO_CLIENT_ID)",
  ]);
});

Deno.test("where() names a setting by flag and variable, or by variable alone", () => {
  assert.equal(where("keyFile"), "--key-file (MEDLEMSBRO_KEY_FILE)");
  assert.equal(where("keyJwk"), "MEDLEMSBRO_KEY_JWK");
  assert.equal(where("other"), "other");
});

Deno.test("loadAuthKey() reads the key file or the inline JWK", async () => {
  const pair = await generateSigningKeyPair("ES256");
  const text = JSON.stringify(pair.privateJwk);
  const fromFile = await loadAuthKey(
    { keyFile: "/keys/private.jwk.json" },
    (path) =>
      path === "/keys/private.jwk.json"
        ? Promise.resolve(text)
        : Promise.reject(new Deno.errors.NotFound()),
  );
  assert.equal(fromFile.kid, pair.kid);
  const inline = await loadAuthKey({ keyJwk: text });
  assert.equal(inline.alg, "ES256");
});

Deno.test("loadAuthKey() names the setting and file, never the key", async () => {
  const secret = '{"kty":"EC","d":"U0VDUkVULUtFWS1NQVRFUklBTA"';
  const cases: [
    Parameters<typeof loadAuthKey>[0],
    Error | string,
    string,
  ][] = [
    [
      { keyFile: "/keys/missing.json" },
      new Deno.errors.NotFound(`open '${secret}'`),
      "--key-file (MEDLEMSBRO_KEY_FILE) /keys/missing.json: no such file",
    ],
    [
      { keyFile: "/keys/locked.json" },
      new Deno.errors.PermissionDenied(secret),
      "--key-file (MEDLEMSBRO_KEY_FILE) /keys/locked.json: permission denied",
    ],
    [
      { keyFile: "/keys/bad.json" },
      secret,
      "--key-file (MEDLEMSBRO_KEY_FILE) /keys/bad.json is not valid JSON",
    ],
    [{ keyJwk: secret }, "", "MEDLEMSBRO_KEY_JWK is not valid JSON"],
    [
      {},
      "",
      "--key-file (MEDLEMSBRO_KEY_FILE) or MEDLEMSBRO_KEY_JWK: a signing key is required",
    ],
  ];
  for (const [settings, file, issue] of cases) {
    const error = await loadAuthKey(
      settings,
      () =>
        typeof file === "string" ? Promise.resolve(file) : Promise.reject(file),
    ).catch((e) => e);
    assert.ok(error instanceof SettingsError, String(error));
    assert.deepEqual(error.issues, [issue]);
    assert.doesNotMatch(error.message, /U0VDUkVU|"d"/);
  }
});

Deno.test("loadAuthKey() refuses a damaged key at load, naming --key-file or MEDLEMSBRO_KEY_JWK", async () => {
  const pair = await generateSigningKeyPair("ES256");
  const other = await generateSigningKeyPair("ES256");
  const text = JSON.stringify({ ...pair.privateJwk, d: other.privateJwk.d });
  const fromFile = await loadAuthKey(
    { keyFile: "/keys/private.jwk.json" },
    () => Promise.resolve(text),
  ).catch((e) => e);
  assert.ok(fromFile instanceof SettingsError, String(fromFile));
  assert.match(
    fromFile.issues[0],
    /^--key-file \(MEDLEMSBRO_KEY_FILE\) \/keys\/private\.jwk\.json is inconsistent/,
  );
  const inline = await loadAuthKey({ keyJwk: text }).catch((e) => e);
  assert.ok(inline instanceof SettingsError, String(inline));
  assert.match(inline.issues[0], /^MEDLEMSBRO_KEY_JWK is inconsistent/);
  for (const error of [fromFile, inline]) {
    assert.ok(!error.message.includes(other.privateJwk.d!.slice(0, 8)));
  }
});
