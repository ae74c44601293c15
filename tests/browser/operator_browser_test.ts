/**
 * The operator page in a real browser: headless Debian Chromium, driven by
 * playwright-core (./_driver.ts, a child process), against the service app
 * on 127.0.0.1 with a seeded state and the mock as Helsenorge. A
 * coordinator logs in, sees the counts, retries a member who has since
 * consented and sees the counts change, and downloads the problems CSV.
 * No full national id may appear in the HTML or the CSV.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`, as .ci/run does);
 * without it the test fails and says so. `deno task screenshot` runs it
 * with MEDLEMSBRO_SCREENSHOT=docs/operator-screenshot.png to refresh the
 * committed screenshot.
 */

import assert from "node:assert/strict";
import type { DriverInput, DriverOutput } from "./_driver.ts";
import { PASSWORD, seedOperatorService, USER } from "./_seed.ts";

const CHROMIUM = Deno.env.get("MEDLEMSBRO_CHROMIUM") ?? "/usr/bin/chromium";
const DRIVER_TIMEOUT_MS = 120_000;

async function chromiumPath(): Promise<string> {
  try {
    await Deno.stat(CHROMIUM);
    return CHROMIUM;
  } catch {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\` (the install step in .ci/run), or set MEDLEMSBRO_CHROMIUM to its path`,
    );
  }
}

Deno.test("operator page in headless Chromium: log in, see counts, retry a member, download the problems CSV", async () => {
  const executable = await chromiumPath();
  const dir = await Deno.makeTempDir({ prefix: "medlemsbro-browser-" });
  const seeded = await seedOperatorService(dir);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    seeded.app.fetch,
  );
  try {
    // The citizen has consented since last night: a retry will store them.
    await seeded.consent();
    const screenshot = Deno.env.get("MEDLEMSBRO_SCREENSHOT") ??
      `${dir}/operator.png`;
    const input: DriverInput = {
      url: `http://127.0.0.1:${server.addr.port}`,
      user: USER,
      password: PASSWORD,
      retry: seeded.retryTarget.masked,
      org: seeded.retryTarget.org,
      chromium: executable,
      workDir: dir,
      screenshot,
    };
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--quiet",
        new URL("./_driver.ts", import.meta.url).pathname,
        JSON.stringify(input),
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(DRIVER_TIMEOUT_MS),
    }).spawn();
    const { code, stdout, stderr } = await child.output();
    const errors = new TextDecoder().decode(stderr);
    assert.equal(code, 0, `the browser driver failed:\n${errors.slice(-3000)}`);
    const out = JSON.parse(
      new TextDecoder().decode(stdout).trim().split("\n").at(-1)!,
    ) as DriverOutput;

    // Seeded: 5 not consented, ids[3] among them, in this organization.
    assert.ok(out.before.listed, "the member waits for a retry before");
    assert.ok(!out.after.listed, "the member no longer waits after");
    const n = (s: string | undefined) => Number(s);
    assert.equal(n(out.after.counts.stored), n(out.before.counts.stored) + 1);
    assert.equal(
      n(out.after.counts["not-consented"]),
      n(out.before.counts["not-consented"]) - 1,
    );
    assert.equal(
      n(out.after.counts.attention),
      n(out.before.counts.attention) - 1,
    );
    assert.ok(n(out.before.counts["not-consented"]) >= 1);
    assert.equal(
      out.after.notice,
      `Prøvd på nytt ${seeded.retryTarget.masked}: Lagret`,
    );

    const bytes = await Deno.readFile(out.csvPath);
    assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf], "a BOM");
    const csv = new TextDecoder().decode(bytes);
    assert.match(out.csvName, /^medlemsbro-problems-\d{8}-\d{4}\.csv$/);
    assert.match(csv, /^Kjøring startet;Rad;/);
    assert.ok(csv.endsWith("\r\n") && !/[^\r]\n/.test(csv), "CRLF lines");
    assert.match(csv, /;\d{6}\*{5};invalid-national-id;/);

    for (const id of seeded.nationalIds) {
      for (
        const [what, text] of [
          ["page before", out.before.html],
          ["page after", out.after.html],
          ["CSV", csv],
        ]
      ) {
        assert.ok(!text.includes(id), `a full national id is in the ${what}`);
      }
    }
    const png = await Deno.readFile(screenshot);
    assert.deepEqual([...png.slice(1, 4)], [0x50, 0x4e, 0x47], "a PNG");
  } finally {
    await server.shutdown();
    await seeded.close();
    await Deno.remove(dir, { recursive: true });
  }
});
