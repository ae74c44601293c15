/**
 * End-to-end auth through the command line: `keys` makes a key pair, the
 * public half is registered with a mock started here on 127.0.0.1, and
 * `sync` runs against it with HelseID- and STS-style settings. Every byte
 * the runs print or write is scanned for tokens, assertions, keys and
 * national ids.
 */

import { cli, ROOT, type Run } from "./_cli.ts";
import assert from "node:assert/strict";
import { createMockAuth } from "../../mock-helsenorge/auth.ts";
import { startMock } from "../../mock-helsenorge/server.ts";
import type { SyncReport } from "../../src/sync/report.ts";
import { assertNoSecrets } from "../contract/_auth_harness.ts";

const MEMBERS = `${ROOT}fixtures/medlemmer-eksport.csv`;
const OFFERINGS = `${ROOT}fixtures/helsetilbud.json`;
const SAMPLE_IDS = [
  ...Deno.readTextFileSync(MEMBERS).matchAll(/\d{10,11}/g),
].map((m) => m[0].padStart(11, "0"));

function scan(texts: string[], where: string): void {
  assertNoSecrets(texts, where);
  for (const text of texts) {
    for (const id of SAMPLE_IDS) {
      assert.ok(!text.includes(id), `${where} shows a full national id`);
    }
  }
}

async function makeKeys(dir: string, alg = "RS256"): Promise<Run> {
  return await cli(["keys", "--out", `${dir}/keys`, "--alg", alg]);
}

Deno.test("keys: writes a private JWK only its owner can read, a public JWK and a public PEM", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = await makeKeys(dir);
    assert.equal(run.code, 0, run.stderr);
    scan([run.stdout, run.stderr], "keys output");
    assert.equal(
      (await Deno.stat(`${dir}/keys/private.jwk.json`)).mode! & 0o777,
      0o600,
    );
    assert.equal((await Deno.stat(`${dir}/keys`)).mode! & 0o777, 0o700);

    const privateJwk = JSON.parse(
      await Deno.readTextFile(`${dir}/keys/private.jwk.json`),
    );
    const publicJwk = JSON.parse(
      await Deno.readTextFile(`${dir}/keys/public.jwk.json`),
    );
    assert.equal(typeof privateJwk.d, "string");
    assert.equal(publicJwk.d, undefined);
    assert.equal(publicJwk.kid, privateJwk.kid);
    assert.match(run.stdout, new RegExp(`kid ${publicJwk.kid}`));
    assert.match(
      await Deno.readTextFile(`${dir}/keys/public.pem`),
      /^-----BEGIN PUBLIC KEY-----\n/,
    );

    const again = await makeKeys(dir);
    assert.equal(again.code, 2, "existing keys are not overwritten");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keys: refuses an existing directory that group or others can read or write, and leaves it as it is", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const mode of [0o777, 0o770, 0o755]) {
      const out = `${dir}/shared-${mode.toString(8)}`;
      await Deno.mkdir(out);
      await Deno.chmod(out, mode);
      const run = await cli(["keys", "--out", out, "--alg", "ES256"]);
      assert.equal(run.code, 2, run.stdout);
      assert.equal(
        run.stderr,
        `${out} can be read or written by group or others (mode 0${
          mode.toString(8)
        }); a private key's directory must be its owner's alone: run chmod 700 ${out}, or give a new directory\n`,
      );
      assert.deepEqual(await Array.fromAsync(Deno.readDir(out)), []);
      assert.equal((await Deno.stat(out)).mode! & 0o777, mode);
    }

    const own = `${dir}/own`;
    await Deno.mkdir(own, { mode: 0o700 });
    await Deno.chmod(own, 0o700);
    const run = await cli(["keys", "--out", own, "--alg", "ES256"]);
    assert.equal(run.code, 0, run.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keys: never writes through a symbolic link at an output path, even with --force", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/keys`;
    const first = await cli(["keys", "--out", out, "--alg", "ES256"]);
    assert.equal(first.code, 0, first.stderr);
    const before = await Deno.readTextFile(`${out}/private.jwk.json`);

    // --force replaces regular files with a new key.
    const again = await cli([
      "keys",
      "--out",
      out,
      "--alg",
      "ES256",
      "--force",
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.notEqual(await Deno.readTextFile(`${out}/private.jwk.json`), before);
    assert.equal(
      (await Deno.stat(`${out}/private.jwk.json`)).mode! & 0o777,
      0o600,
    );

    for (const name of ["private.jwk.json", "public.pem"]) {
      const target = `${dir}/target-${name}`;
      await Deno.writeTextFile(target, "someone else's file\n");
      await Deno.remove(`${out}/${name}`);
      await Deno.symlink(target, `${out}/${name}`);
      for (const force of [[], ["--force"]]) {
        const run = await cli(["keys", "--out", out, ...force]);
        assert.equal(run.code, 2, run.stdout);
        assert.equal(
          run.stderr,
          `${out}/${name} is a symbolic link; no key is written through a link: remove it and run again\n`,
        );
        assert.equal(
          await Deno.readTextFile(target),
          "someone else's file\n",
        );
      }
      await Deno.remove(`${out}/${name}`);
      await Deno.writeTextFile(`${out}/${name}`, "");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const mode of ["helseid", "sts"] as const) {
  for (const dpop of [false, true]) {
    Deno.test(`sync with --auth ${mode}${dpop ? " --dpop" : ""} and a key from \`keys\` reaches the mock; nothing secret is shown`, async () => {
      const dir = await Deno.makeTempDir();
      const auth = await createMockAuth({ requireDpop: dpop });
      const mock = await startMock({ port: 0, auth, log: () => {} });
      try {
        const keys = await makeKeys(dir, dpop ? "ES256" : "PS256");
        assert.equal(keys.code, 0, keys.stderr);
        auth.registerClient({
          clientId: "e2e-client",
          jwks: [
            JSON.parse(await Deno.readTextFile(`${dir}/keys/public.jwk.json`)),
          ],
        });

        const args = [
          "sync",
          "--base-url",
          mock.baseUrl,
          "--auth",
          mode,
          "--offerings",
          OFFERINGS,
          "--members",
          MEMBERS,
          "--batch-size",
          "7",
          "--report",
          `${dir}/report.json`,
          ...(mode === "helseid" ? ["--helseid-authority", mock.url] : []),
          ...(dpop ? ["--dpop"] : []),
        ];
        const run = await cli(args, {
          MEDLEMSBRO_CLIENT_ID: "e2e-client",
          MEDLEMSBRO_KEY_FILE: `${dir}/keys/private.jwk.json`,
        });
        const reportText = await Deno.readTextFile(`${dir}/report.json`);
        scan([run.stdout, run.stderr, reportText], "the sync run");
        assert.equal(run.code, 1, run.stderr);
        const report: SyncReport = JSON.parse(reportText);
        assert.equal(report.members.failed, 0);
        assert.equal(
          report.members.stored + report.members.notConsented,
          39,
        );
        assert.equal(mock.store.list("Patient").length, report.members.stored);
        assert.equal(auth.stats().tokensIssued, 1);
        assert.match(
          run.stderr,
          new RegExp(
            `${mode === "helseid" ? "HelseID" : "Helsenorge STS"}${
              dpop ? " with DPoP" : ""
            }\\)`,
          ),
        );
      } finally {
        await mock.close();
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
}

Deno.test("sync with a key the mock does not know exits 3 with a clear message and no secrets", async () => {
  const dir = await Deno.makeTempDir();
  const auth = await createMockAuth();
  const mock = await startMock({ port: 0, auth, log: () => {} });
  try {
    await makeKeys(dir, "ES256");
    await cli(["keys", "--out", `${dir}/other`, "--alg", "ES256"]);
    auth.registerClient({
      clientId: "e2e-client",
      jwks: [
        JSON.parse(await Deno.readTextFile(`${dir}/other/public.jwk.json`)),
      ],
    });
    const run = await cli([
      "sync",
      "--base-url",
      mock.baseUrl,
      "--auth",
      "sts",
      "--client-id",
      "e2e-client",
      "--key-file",
      `${dir}/keys/private.jwk.json`,
      "--offerings",
      OFFERINGS,
      "--members",
      MEMBERS,
      "--report",
      `${dir}/report.json`,
    ]);
    const report = await Deno.readTextFile(`${dir}/report.json`);
    scan([run.stdout, run.stderr, report], "the refused run");
    assert.equal(run.code, 3);
    assert.match(
      run.stdout + report,
      /Helsenorge STS \(http:\/\/127\.0\.0\.1:\d+\/sts\/Token\) refused the token request with HTTP 400 \(invalid_client: the assertion's signature does not verify/,
    );
    assert.equal(mock.store.list("Patient").length, 0);
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sync without --dpop against a mock that requires DPoP says to set --dpop", async () => {
  const dir = await Deno.makeTempDir();
  const auth = await createMockAuth({ requireDpop: true });
  const mock = await startMock({ port: 0, auth, log: () => {} });
  try {
    await makeKeys(dir, "ES256");
    auth.registerClient({
      clientId: "e2e-client",
      jwks: [
        JSON.parse(await Deno.readTextFile(`${dir}/keys/public.jwk.json`)),
      ],
    });
    const run = await cli([
      "sync",
      "--base-url",
      mock.baseUrl,
      "--auth",
      "sts",
      "--offerings",
      OFFERINGS,
      "--members",
      MEMBERS,
      "--report",
      `${dir}/report.json`,
    ], {
      MEDLEMSBRO_CLIENT_ID: "e2e-client",
      MEDLEMSBRO_KEY_FILE: `${dir}/keys/private.jwk.json`,
    });
    const report = await Deno.readTextFile(`${dir}/report.json`);
    scan([run.stdout, run.stderr, report], "the refused run");
    assert.equal(run.code, 3);
    assert.match(
      run.stdout + run.stderr,
      /\(invalid_dpop_proof: a DPoP proof is required\); the server requires DPoP-bound tokens; set --dpop \(MEDLEMSBRO_DPOP=true\)/,
    );
    assert.doesNotMatch(run.stdout + report, /proof was not accepted/);
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad auth settings stop the run at start, naming the setting and never its value", async () => {
  const secretish = '{"kty":"RSA","d":"c2VjcmV0LXByaXZhdGUta2V5LW1hdGVyaWFs"';
  const run = await cli([
    "sync",
    "--env",
    "test1",
    "--auth",
    "helseid",
    "--helseid-authority",
    "not a url",
    "--members",
    MEMBERS,
  ], { MEDLEMSBRO_KEY_JWK: secretish });
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /--helseid-authority \(MEDLEMSBRO_HELSEID_AUTHORITY\): must be an http\(s\) URL/,
  );
  assert.match(
    run.stderr,
    /--client-id \(MEDLEMSBRO_CLIENT_ID\): is required with --auth helseid/,
  );
  assert.ok(!run.stderr.includes("c2VjcmV0"), "the key is not echoed");
  assert.ok(!run.stderr.includes("not a url"));

  const badKey = await cli([
    "sync",
    "--env",
    "test1",
    "--auth",
    "sts",
    "--client-id",
    "some-client",
    "--dry-run",
    "--members",
    MEMBERS,
  ], { MEDLEMSBRO_KEY_JWK: secretish });
  assert.equal(badKey.code, 2);
  assert.equal(
    badKey.stderr.trim(),
    "invalid settings:\n  MEDLEMSBRO_KEY_JWK is not valid JSON",
  );
  assert.ok(!badKey.stderr.includes("some-client"));
});

Deno.test('a key file with a damaged "d" stops a dry run at start, naming --key-file and never the key', async () => {
  const dir = await Deno.makeTempDir();
  try {
    const keys = await makeKeys(dir, "RS256");
    assert.equal(keys.code, 0, keys.stderr);
    const jwk = JSON.parse(
      await Deno.readTextFile(`${dir}/keys/private.jwk.json`),
    );
    const d = String(jwk.d);
    const at = Math.floor(d.length / 2);
    jwk.d = d.slice(0, at) + (d[at] === "A" ? "B" : "A") + d.slice(at + 1);
    await Deno.writeTextFile(`${dir}/bad.jwk.json`, JSON.stringify(jwk));

    const run = await cli([
      "sync",
      "--env",
      "test1",
      "--auth",
      "helseid",
      "--key-file",
      `${dir}/bad.jwk.json`,
      "--dry-run",
      "--members",
      MEMBERS,
    ], { MEDLEMSBRO_CLIENT_ID: "some-client" });
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /--key-file \(MEDLEMSBRO_KEY_FILE\) \S+bad\.jwk\.json could not sign with RS256: its private part is damaged/,
    );
    assert.ok(!run.stderr.includes(d.slice(0, 12)));
    scan([run.stdout, run.stderr], "the refused dry run");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README's Authentication section gives the client id to the sync as MEDLEMSBRO_CLIENT_ID, never --client-id", async () => {
  // `deno task` echoes the command line to stderr: a flag's value is shown.
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const section = readme.split(/^## /m).find((part) =>
    part.startsWith("Authentication\n")
  );
  assert.ok(section, "README has an Authentication section");
  const commands = [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((block) => block[1].replace(/\\\n\s*/g, " ").split("\n"));
  const syncs = commands.filter((line) => /deno task sync\b/.test(line));
  assert.ok(syncs.length >= 2, "the section shows sync commands");
  for (const line of syncs) {
    assert.doesNotMatch(line, /--client-id|--key-file/, line);
  }
  assert.match(section, /export MEDLEMSBRO_CLIENT_ID=medlemsbro-local/);
  assert.match(section, /`deno task` prints the whole command/);
});

Deno.test("the demo runs with auth against the in-process mock with no set-up, with and without DPoP", async () => {
  for (const extra of [[], ["--dpop"], ["--auth", "sts"]]) {
    const run = await cli(["demo", ...extra]);
    scan([run.stdout, run.stderr], "the demo");
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /Members: {3}43 read: 35 stored, 4 not consented, 0 failed/,
    );
  }
});
