/**
 * `deno task soak`: issue 6's soak run on real sockets. Starts the mock as a
 * child process on 127.0.0.1 with a fault mix (10 % of calls by default:
 * 5xx, 429, hangs past the client's timeout, resets, commit then drop; a
 * normal latency with a part per entry), writes a synthetic export, and runs
 * `deno task sync` against it with a state store, starting it again while it
 * exits "could not finish" (bounded in runs and time). Then it compares what
 * the mock holds with the expected set and prints the figures recorded in
 * docs/reliability.md. Exits 0 when the sets are equal.
 *
 * ```sh
 * deno task soak                      # 50,000 members, 10 % faults
 * deno task soak --members 5000 --fault-rate 0.2 --max-minutes 5
 * ```
 *
 * Not part of `deno task test`: it takes minutes, not seconds.
 */

import { parseArgs } from "node:util";
import type { Patient } from "fhir/r4";
import { DEFAULT_CONSENT, isConsented } from "../../mock-helsenorge/consent.ts";
import { syntheticNationalIds } from "../../src/identifiers/synthetic.ts";
import type { SyncReport } from "../../src/sync/report.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const ORGANIZATIONS = ["948 554 062", "974 760 673"];

const { values } = parseArgs({
  args: Deno.args,
  strict: true,
  options: {
    members: { type: "string", default: "50000" },
    "fault-rate": { type: "string", default: "0.1" },
    "fault-seed": { type: "string", default: "soak" },
    "batch-size": { type: "string", default: "200" },
    concurrency: { type: "string", default: "4" },
    "max-runs": { type: "string", default: "5" },
    "max-minutes": { type: "string", default: "20" },
  },
});
const count = Number(values.members);
const maxRuns = Number(values["max-runs"]);
const deadline = AbortSignal.timeout(Number(values["max-minutes"]) * 60_000);
for (const [name, value] of Object.entries({ count, maxRuns })) {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number >= 1`);
  }
}

const encoder = new TextEncoder();
const say = (text: string) =>
  Deno.stdout.writeSync(encoder.encode(text + "\n"));
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

const dir = await Deno.makeTempDir({ prefix: "medlemsbro-soak-" });
const membersPath = `${dir}/members.csv`;
const statePath = `${dir}/state.sqlite`;

// The export, and what Helsenorge should hold after the sync.
const expected = new Map<string, { org: string; start: string; end: string }>();
let notConsented = 0;
{
  const lines = ["Fødselsnummer;Organisasjonsnummer;Medlem fra;Medlem til"];
  const ids = syntheticNationalIds();
  for (let i = 0; i < count; i++) {
    const id = ids.next().value as string;
    const org = ORGANIZATIONS[i % 2];
    const start = i % 3 === 0 ? "2025-09-01" : "2026-01-01";
    const end = i % 5 === 0 ? "2026-06-30" : "2026-12-31";
    lines.push(`${id};${org};${start};${end}`);
    if (isConsented(DEFAULT_CONSENT, id)) {
      expected.set(id, { org: org.replaceAll(" ", ""), start, end });
    } else notConsented++;
  }
  await Deno.writeTextFile(membersPath, lines.join("\r\n") + "\r\n", {
    mode: 0o600,
  });
}
say(
  `Soak: ${count} members (${notConsented} not consented), fault mix ${
    values["fault-rate"]
  }, batch ${values["batch-size"]}, concurrency ${values.concurrency}`,
);

const deno = Deno.execPath();
const mock = new Deno.Command(deno, {
  args: [
    "run",
    "--allow-net=127.0.0.1",
    "--allow-env",
    "--allow-read",
    `${ROOT}mock-helsenorge/main.ts`,
    "--port",
    "0",
    "--not-consented-fraction",
    String(DEFAULT_CONSENT.notConsentedFraction),
    "--fault-mix",
    values["fault-rate"]!,
    "--fault-seed",
    values["fault-seed"]!,
  ],
  stdout: "piped",
  // The mock logs every breached limit and dropped connection: not needed.
  stderr: "null",
  signal: deadline,
}).spawn();

let exitCode = 1;
try {
  const url = await listeningUrl(mock.stdout);
  const origin = new URL(url).origin;
  say(`Mock on ${url}`);

  const reports: SyncReport[] = [];
  for (let run = 1; run <= maxRuns; run++) {
    const reportPath = `${dir}/report-${run}.json`;
    const runStarted = performance.now();
    const output = await new Deno.Command(deno, {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-net=127.0.0.1",
        "--allow-env",
        "--unstable-kv",
        `${ROOT}src/cli/main.ts`,
        "sync",
        "--base-url",
        url,
        "--auth",
        "none",
        "--members",
        membersPath,
        "--state",
        statePath,
        "--batch-size",
        values["batch-size"]!,
        "--concurrency",
        values.concurrency!,
        "--report",
        reportPath,
        "--quiet",
      ],
      stdout: "piped",
      stderr: "piped",
      signal: deadline,
    }).output();
    const seconds = (performance.now() - runStarted) / 1000;
    const report = JSON.parse(
      await Deno.readTextFile(reportPath),
    ) as SyncReport;
    reports.push(report);
    const m = report.members;
    const l = report.latency?.members;
    say(
      `Run ${run}: exit ${output.code} in ${
        seconds.toFixed(1)
      } s: ${m.stored} stored, ${m.notConsented} not consented, ${m.unchanged} unchanged, ${m.notDue} not due, ${m.failed} failed, ${m.notSent} not sent, ${m.batches} calls`,
    );
    if (l) {
      say(
        `  latency: ${l.count} attempts, p50 ${l.p50} ms, p95 ${l.p95} ms, p99 ${l.p99} ms, max ${l.max} ms; ${l.overLimit} over 10 s, ${l.timeouts} timeouts, ${l.networkErrors} network errors`,
      );
    }
    if (report.batchSize) {
      const b = report.batchSize;
      say(
        `  batch size: ${b.initial} -> settled ${b.settled} (smallest ${b.smallest}, ${b.shrinks} shrinks, ${b.grows} grows)`,
      );
    }
    if (report.stoppedBecause) say(`  stopped: ${report.stoppedBecause}`);
    if (output.code === 0 || output.code === 1) break;
    if (output.code !== 3) {
      say(new TextDecoder().decode(output.stderr).slice(0, 2000));
      throw new Error(`the sync exited with ${output.code}`);
    }
  }

  // What the mock holds against what it should.
  const received = await (await fetch(`${origin}/_mock/received`)).json() as {
    patients: Patient[];
  };
  const held = new Map<string, Patient>();
  let twice = 0;
  let wrong = 0;
  let unexpected = 0;
  for (const patient of received.patients) {
    const id = patient.identifier?.[0]?.value ?? "";
    if (held.has(id)) twice++;
    held.set(id, patient);
    const want = expected.get(id);
    if (!want) {
      unexpected++;
      continue;
    }
    const contact = patient.contact ?? [];
    if (
      contact.length !== 1 ||
      contact[0].organization?.identifier?.value !== want.org ||
      contact[0].period?.start !== want.start ||
      contact[0].period?.end !== want.end
    ) wrong++;
  }
  const lost = [...expected.keys()].filter((id) => !held.has(id)).length;

  const calls = await (await fetch(`${origin}/_mock/calls`)).json() as {
    calls: { step: string; fault?: string }[];
    summary: Record<string, Record<string, number>>;
  };
  const faults: Record<string, number> = {};
  for (const call of calls.calls) {
    if (call.fault) faults[call.fault] = (faults[call.fault] ?? 0) + 1;
  }
  const s = calls.summary.members;
  say(
    `Mock: ${calls.calls.length} calls; faults ${
      JSON.stringify(faults)
    }; members p50 ${s?.p50} ms, p95 ${s?.p95} ms, p99 ${s?.p99} ms, max ${s?.max} ms, ${s?.breaches} breaches`,
  );
  say(
    `Stored set: ${held.size} held, ${expected.size} expected; ${lost} lost, ${twice} twice, ${wrong} with a wrong membership, ${unexpected} not expected (not-consented or unknown)`,
  );
  const equal = lost === 0 && twice === 0 && wrong === 0 && unexpected === 0 &&
    held.size === expected.size;
  say(
    `${
      equal ? "EQUAL" : "NOT EQUAL"
    } after ${reports.length} runs in ${elapsed()}`,
  );
  exitCode = equal ? 0 : 1;
} finally {
  try {
    mock.kill("SIGTERM");
  } catch {
    // Already gone (the deadline killed it).
  }
  await mock.status;
  await Deno.remove(dir, { recursive: true });
}
Deno.exit(exitCode);

/** Read the mock's stdout until it says where it listens. */
async function listeningUrl(
  stream: ReadableStream<Uint8Array>,
): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (let i = 0; i < 100; i++) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+\S*)/.exec(text);
    if (match) {
      // Keep draining so the child never blocks on a full pipe.
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })().catch(() => {});
      return match[1];
    }
  }
  throw new Error(`the mock did not start: ${text.slice(0, 500)}`);
}
