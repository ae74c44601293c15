/**
 * The local end-to-end walkthrough of the README (Authentication) and
 * mock-helsenorge/README.md, as written: `keys` makes a key pair, the
 * standalone mock (`mock-helsenorge/main.ts`, what `deno task mock` runs) is
 * started as its own process with the public key, and `sync` runs against it
 * on 127.0.0.1. Both processes are stopped before each test ends.
 */

import assert from "node:assert/strict";
import { parseMockArgs } from "../../mock-helsenorge/main.ts";
import { assertNoSecrets } from "../contract/_auth_harness.ts";
import { cli, ROOT } from "./_cli.ts";

const MEMBERS = `${ROOT}fixtures/medlemmer-eksport.csv`;
const OFFERINGS = `${ROOT}fixtures/helsetilbud.json`;

/** The standalone mock as a child process, with the URL it printed. */
async function startStandaloneMock(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      `${ROOT}mock-helsenorge/main.ts`,
      "--port",
      "0",
      ...args,
    ],
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
    clearEnv: true,
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let printed = "";
  while (!/Token endpoints: .*\n/.test(printed)) {
    const { value, done } = await reader.read();
    if (done) break;
    printed += value;
  }
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(printed)?.[1];
  return {
    url,
    printed,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await reader.cancel();
    },
  };
}

for (
  const walk of [
    { key: "public.pem", mock: [], sync: ["--auth", "helseid"] },
    {
      key: "public.jwk.json",
      mock: ["--require-dpop", "--token-ttl", "60"],
      sync: ["--auth", "sts", "--dpop"],
    },
  ]
) {
  Deno.test(
    `walkthrough: keys, \`deno task mock --client-key ${walk.key}${
      walk.mock.length ? " " + walk.mock.join(" ") : ""
    }\`, sync ${walk.sync.join(" ")}`,
    async () => {
      const dir = await Deno.makeTempDir();
      let mock: Awaited<ReturnType<typeof startStandaloneMock>> | undefined;
      try {
        const keys = await cli([
          "keys",
          "--out",
          `${dir}/.keys`,
          ...(walk.sync.includes("--dpop") ? ["--alg", "ES256"] : []),
        ]);
        assert.equal(keys.code, 0, keys.stderr);

        mock = await startStandaloneMock([
          "--client-id",
          "medlemsbro-local",
          "--client-key",
          `${dir}/.keys/${walk.key}`,
          ...walk.mock,
        ]);
        assert.ok(mock.url, mock.printed);
        assert.match(mock.printed, /1 client registered/);

        const run = await cli([
          "sync",
          "--base-url",
          `${mock.url}/helsekontakter/api/v1`,
          ...walk.sync,
          ...(walk.sync.includes("helseid")
            ? ["--helseid-authority", mock.url]
            : []),
          "--client-id",
          "medlemsbro-local",
          "--key-file",
          `${dir}/.keys/private.jwk.json`,
          "--offerings",
          OFFERINGS,
          "--members",
          MEMBERS,
          "--state",
          "none",
        ]);
        assertNoSecrets([run.stdout, run.stderr, mock.printed], "walkthrough");
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.match(run.stdout, /Offerings: sent: 2 organizations/);
        assert.match(
          run.stdout,
          /Members: {3}43 read: 35 stored, 4 not consented, 0 failed/,
        );
      } finally {
        await mock?.stop();
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}

Deno.test("walkthrough: the mock refuses a private or missing client key without quoting it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const keys = await cli(["keys", "--out", `${dir}/keys`, "--alg", "ES256"]);
    assert.equal(keys.code, 0, keys.stderr);
    const privateJwk = `${dir}/keys/private.jwk.json`;
    const d = JSON.parse(await Deno.readTextFile(privateJwk)).d;

    const cases: [string[], RegExp][] = [
      [
        ["--client-id", "c", "--client-key", privateJwk],
        /is a private key; give the public one/,
      ],
      [["--client-id", "c"], /give --client-id ID and --client-key FILE/],
      [["--require-dpop"], /give --client-id ID and --client-key FILE/],
      [
        ["--client-id", "c", "--client-key", `${dir}/none.pem`],
        /none\.pem: no such file/,
      ],
      [
        [
          "--client-id",
          "c",
          "--client-key",
          `${dir}/keys/public.pem`,
          "--token-ttl",
          "0.5",
        ],
        /--token-ttl must be a whole number of seconds/,
      ],
    ];
    for (const [args, message] of cases) {
      const error = await parseMockArgs(args).catch((e) => e);
      assert.ok(error instanceof TypeError, String(error));
      assert.match(error.message, message);
      assert.ok(!error.message.includes(d));
    }

    const options = await parseMockArgs([
      "--client-id",
      "c",
      "--client-key",
      `${dir}/keys/public.pem`,
      "--require-dpop",
    ]);
    assert.ok(options !== "help" && options.auth);
    assert.equal(options.auth.stats().requireDpop, true);
    assert.deepEqual(await parseMockArgs([]), {
      port: 8787,
      production: false,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
