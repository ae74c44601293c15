/**
 * End-to-end runs of `deno task sync` with a state file, as separate
 * processes against the mock started here on 127.0.0.1: a run killed half
 * way and started again, and the mass-end brake of `--full`.
 */

import assert from "node:assert/strict";
import type { Patient } from "fhir/r4";
import { cli, ROOT, type Run, spawnCli } from "./_cli.ts";
import { startMock } from "../../mock-helsenorge/server.ts";
import {
  decodeMember,
  type MemberValue,
} from "../../src/state/member_record.ts";
import { openStateStore } from "../../src/state/store.ts";
import type { SyncReport } from "../../src/sync/report.ts";

const MEMBERS = `${ROOT}fixtures/medlemmer-eksport.csv`;
const API_PATH = "/helsekontakter/api/v1";
/** Valid, distinct members of the sample export. */
const SAMPLE_MEMBERS = 39;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A proxy on 127.0.0.1 in front of `target` that holds each member call for
 * `delayMs` before passing it on, so a run is slow enough to kill half way.
 * A call whose client died still reaches the mock, as on a real network.
 */
async function delayingProxy(target: string, delayMs: number) {
  let server!: Deno.HttpServer;
  const url = await new Promise<string>((resolve) => {
    server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: ({ port }) => resolve(`http://127.0.0.1:${port}`),
      // A killed client leaves a broken connection; that is the point.
      onError: () => new Response(null, { status: 502 }),
    }, async (request) => {
      const { pathname, search } = new URL(request.url);
      const body = request.method === "POST" ? await request.text() : undefined;
      if (body?.includes('"type":"batch"')) await delay(delayMs);
      const response = await fetch(target + pathname + search, {
        method: request.method,
        headers: {
          "content-type": request.headers.get("content-type") ?? "",
          accept: request.headers.get("accept") ?? "",
        },
        body,
      });
      const text = await response.text();
      return new Response(text, {
        status: response.status,
        headers: {
          "content-type": response.headers.get("content-type") ?? "",
        },
      });
    });
  });
  return { url, close: () => server.shutdown() };
}

function idOf(patient: Patient): string {
  return patient.identifier![0].value!;
}

Deno.test("a sync killed half way and started again completes with nothing lost", async () => {
  const mock = await startMock({
    port: 0,
    notConsentedFraction: 0,
    log: () => {},
  });
  const proxy = await delayingProxy(mock.url, 150);
  const dir = await Deno.makeTempDir({ prefix: "medlemsbro-kill-" });
  const statePath = `${dir}/state.sqlite`;
  const reportPath = `${dir}/report.json`;
  const args = [
    "sync",
    "--base-url",
    proxy.url + API_PATH,
    "--members",
    MEMBERS,
    "--state",
    statePath,
    "--batch-size",
    "3",
    "--concurrency",
    "1",
    "--lease-ttl",
    "1000",
    // Each batch's answers written at once, so the kill finds some recorded.
    "--state-write-behind",
    "1",
    "--quiet",
  ];
  const held = () =>
    new Map(mock.store.list("Patient").map((p) => [idOf(p), p]));

  try {
    // 13 calls of 3 members, 150 ms each: kill once 3 calls have landed.
    const child = spawnCli(args);
    const output = child.output();
    let landed = 0;
    for (let i = 0; i < 600 && landed < 9; i++) {
      await delay(25);
      landed = mock.store.list("Patient").length;
    }
    child.kill("SIGKILL");
    const killed = await output;
    assert.equal(killed.signal, "SIGKILL", "the run was killed, not done");
    assert.ok(landed >= 9, "the run had sent some members before the kill");

    // Let a call already on its way through the proxy land.
    await delay(400);
    const atKill = held();
    assert.ok(atKill.size < SAMPLE_MEMBERS, "killed half way");

    // No member marked stored that the mock does not hold (with that end).
    const store = await openStateStore({ path: statePath });
    const storedAtKill: string[] = [];
    const statuses: Record<string, number> = {};
    try {
      for await (
        const entry of store.kv.list<MemberValue>({ prefix: ["member"] })
      ) {
        const s = decodeMember(entry.value, String(entry.key[1]));
        statuses[s.status] = (statuses[s.status] ?? 0) + 1;
        if (s.status !== "stored") continue;
        storedAtKill.push(s.nationalId);
        const patient = atKill.get(s.nationalId);
        assert.ok(patient, `${s.masked} is stored in state, not at the mock`);
        assert.equal(patient.contact![0].period!.end, s.end);
      }
    } finally {
      store.close();
    }
    assert.ok(storedAtKill.length >= 3, "some answers were recorded");
    assert.ok(storedAtKill.length < SAMPLE_MEMBERS);

    // Start it again; while the dead run's lease lasts (1 s) it is busy.
    let run: Run | undefined;
    let busy = 0;
    for (let attempt = 0; attempt < 40; attempt++) {
      run = await cli([...args, "--report", reportPath]);
      if (run.code !== 4) break;
      busy++;
      assert.match(
        run.stdout,
        new RegExp(`another run \\(cli:${child.pid}\\) is in progress`),
      );
      await delay(250);
    }
    assert.ok(run);
    assert.equal(run.code, 1, run.stdout + run.stderr);

    const report: SyncReport = JSON.parse(await Deno.readTextFile(reportPath));
    assert.equal(report.members.unchanged, storedAtKill.length);
    assert.equal(report.members.stored, SAMPLE_MEMBERS - storedAtKill.length);
    assert.equal(report.members.failed, 0);

    const after = held();
    assert.equal(after.size, SAMPLE_MEMBERS);
    for (const patient of after.values()) {
      assert.equal(patient.contact?.length, 1, "one membership each");
    }
    // Members whose answer was recorded were not sent again.
    for (const id of storedAtKill) {
      assert.equal(after.get(id)!.meta!.versionId, "1");
    }

    const reopened = await openStateStore({ path: statePath });
    try {
      const summary = await reopened.statusSummary();
      const totals = { stored: 0, pending: 0 };
      for (const byStatus of Object.values(summary.organizations)) {
        totals.stored += byStatus.stored;
        totals.pending += byStatus.pending;
      }
      assert.deepEqual(totals, { stored: SAMPLE_MEMBERS, pending: 0 });
      assert.equal(summary.runs[0].status, "finished");
    } finally {
      reopened.close();
    }
    // Seen as busy or not depends on how fast the rerun started.
    assert.ok(busy < 40);
  } finally {
    await proxy.close();
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--full refuses a mass end with exit 3 and a clear message, and --allow-mass-end proceeds", async () => {
  const mock = await startMock({
    port: 0,
    notConsentedFraction: 0,
    log: () => {},
  });
  const dir = await Deno.makeTempDir({ prefix: "medlemsbro-full-" });
  const statePath = `${dir}/state.sqlite`;
  const halfPath = `${dir}/half.csv`;
  const lines = (await Deno.readTextFile(MEMBERS)).replace(/\r\n$/, "")
    .split("\r\n");
  // Drop rows 2, 4, ..., 36: 18 distinct valid members.
  const removedIds = new Set<string>();
  const kept = lines.filter((line, i) => {
    const row = i + 1;
    if (row < 2 || row > 36 || row % 2 === 1) return true;
    removedIds.add(line.split(";")[0].trim());
    return false;
  });
  await Deno.writeTextFile(halfPath, kept.join("\r\n") + "\r\n");
  const sync = (members: string, ...more: string[]) =>
    cli([
      "sync",
      "--base-url",
      mock.baseUrl,
      "--members",
      members,
      "--state",
      statePath,
      "--full",
      "--quiet",
      ...more,
    ]);
  const ends = () =>
    new Map(
      mock.store.list("Patient").map((p) => [
        idOf(p),
        p.contact![0].period!.end,
      ]),
    );

  try {
    const first = await sync(MEMBERS);
    assert.equal(first.code, 1, first.stdout + first.stderr);
    assert.equal(mock.store.list("Patient").length, SAMPLE_MEMBERS);
    const before = ends();
    const callsBefore = mock.store.calls().length;

    const refused = await sync(halfPath);
    assert.equal(refused.code, 3, refused.stdout + refused.stderr);
    assert.match(
      refused.stdout,
      /Stopped: refused to end \d+ of \d+ memberships of organization \d{9} \(\d+ %\) in one run; the limit is 20 %\. Check that the export is complete, or pass --allow-mass-end/,
    );
    assert.equal(mock.store.calls().length, callsBefore, "nothing sent");
    assert.deepEqual(ends(), before);

    const allowed = await sync(halfPath, "--allow-mass-end");
    assert.ok(allowed.code <= 1, allowed.stdout + allowed.stderr);
    // The removed rows run 2026-01-01..2026-12-31; the CLI ends them today.
    const today = new Date().toISOString().slice(0, 10);
    const expected = today < "2026-01-01"
      ? "2026-01-01"
      : today > "2026-12-31"
      ? "2026-12-31"
      : today;
    const after = ends();
    for (const id of removedIds) assert.equal(after.get(id), expected);
    for (const [id, end] of after) {
      if (!removedIds.has(id)) assert.equal(end, before.get(id));
    }
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the CLI exits 4 and sends nothing while another run holds the lease", async () => {
  const mock = await startMock({
    port: 0,
    notConsentedFraction: 0,
    log: () => {},
  });
  const dir = await Deno.makeTempDir({ prefix: "medlemsbro-busy-" });
  const statePath = `${dir}/state.sqlite`;
  const sync = () =>
    cli([
      "sync",
      "--base-url",
      mock.baseUrl,
      "--members",
      MEMBERS,
      "--state",
      statePath,
      "--quiet",
    ]);
  try {
    // Another run (another process, or cron) holds the CLI's lease.
    const store = await openStateStore({ path: statePath });
    try {
      const taken = await store.acquireLease(
        "sync:mock",
        "cron:other",
        60_000,
      );
      assert.equal(taken.ok, true);
    } finally {
      store.close();
    }

    const busy = await sync();
    assert.equal(busy.code, 4, busy.stdout + busy.stderr);
    assert.match(
      busy.stdout,
      /Stopped: another run \(cron:other\) is in progress; its lease lasts until \S+Z\. Try again later/,
    );
    assert.equal(mock.store.calls().length, 0, "nothing sent");

    const released = await openStateStore({ path: statePath });
    try {
      assert.equal(
        await released.releaseLease("sync:mock", "cron:other"),
        true,
      );
    } finally {
      released.close();
    }
    const run = await sync();
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(mock.store.list("Patient").length, SAMPLE_MEMBERS);
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});
