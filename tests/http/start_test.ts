/**
 * The service's start on a bad setting: `main.ts` as a child process prints
 * one line naming the variable (never its value), no stack trace, exit 2.
 */

import assert from "node:assert/strict";
import { SettingsError } from "../../src/config/settings.ts";
import { startFailure } from "../../src/service/webhook_start.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function start(env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-env", "--allow-read", MAIN],
    env: { MEDLEMSBRO_ENV: "mock", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr),
    stdout: new TextDecoder().decode(out.stdout),
  };
}

Deno.test("a bad webhook setting stops the start with one line naming it and exit 2", async () => {
  const { code, stderr, stdout } = await start({
    MEDLEMSBRO_WEBHOOK_SECRETS: "short-one",
    MEDLEMSBRO_WEBHOOK_MAX_SKEW_S: "-5",
  });
  assert.equal(code, 2, stderr);
  assert.equal(stdout, "");
  const lines = stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0], /^medlemsbro: cannot start: /);
  assert.match(lines[0], /MEDLEMSBRO_WEBHOOK_SECRETS: every secret/);
  assert.match(
    lines[0],
    /MEDLEMSBRO_WEBHOOK_MAX_SKEW_S: must be a positive whole number/,
  );
  assert.ok(!stderr.includes("short-one"), "the value is not shown");
  assert.ok(!/\n\s+at /.test(stderr), "no stack trace");
});

Deno.test("startFailure() makes one masked line; settings and domain errors exit 2, others 1", () => {
  assert.deepEqual(
    startFailure(new SettingsError(["A: one", "B: two\nlines"])),
    { line: "medlemsbro: cannot start: A: one; B: two; lines", exitCode: 2 },
  );
  const other = startFailure(new Error("port 23907640450\nbusy"));
  assert.equal(other.exitCode, 1);
  assert.equal(other.line, "medlemsbro: cannot start: port 239076*****; busy");
});
