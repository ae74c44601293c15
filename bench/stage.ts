// deno-lint-ignore-file no-console -- a benchmark script: printing is its job
/**
 * One benchmark stage, run in its own process so its peak resident memory is
 * its own. Prints one JSON line: `{ stage, members, ms, peakRssBytes }`.
 *
 * Usage: deno run ... bench/stage.ts STAGE FILE [BASE_URL STATE_PATH]
 *
 * @module
 */

import { parse } from "csv-parse/stream";
import type { Bundle } from "fhir/r4";
import { syncCommand } from "../src/cli/sync_command.ts";
import {
  D_NUMMER_SYSTEM,
  FODSELSNUMMER_SYSTEM,
  ORGANIZATION_NUMBER_SYSTEM,
} from "../src/identifiers/systems.ts";
import { readMembers } from "../src/input/read_members.ts";
import { createDuplicateCheck } from "../src/input/duplicates.ts";
import { validateMember } from "../src/input/validate_member.ts";
import { runSync } from "../src/sync/sync.ts";

export const STAGES = [
  "baseline",
  "read-validate",
  "map",
  "sync",
  "delta",
] as const;
export type Stage = typeof STAGES[number];

/**
 * The floor: parse the CSV and serialize plain FHIR-shaped JSON per row, with
 * no validation, mapping rules or state.
 */
async function baseline(path: string): Promise<number> {
  const file = await Deno.open(path);
  const records = file.readable.pipeThrough(
    parse({ bom: true, delimiter: ";", from_line: 2 }),
  );
  let count = 0;
  let bytes = 0;
  for await (const row of records as AsyncIterable<string[]>) {
    const id = row[0].trim();
    const patient = {
      resourceType: "Patient",
      identifier: [{
        system: id[0] >= "4" ? D_NUMMER_SYSTEM : FODSELSNUMMER_SYSTEM,
        value: id,
      }],
      contact: [{
        organization: {
          identifier: {
            system: ORGANIZATION_NUMBER_SYSTEM,
            value: row[3].replaceAll(" ", ""),
          },
        },
        period: { start: row[4], end: row[5] },
      }],
    };
    bytes += JSON.stringify(patient).length;
    count++;
  }
  if (bytes === 0 && count > 0) throw new Error("nothing serialized");
  return count;
}

async function readValidate(path: string): Promise<number> {
  const input = await readMembers({ path });
  const duplicate = createDuplicateCheck();
  let valid = 0;
  for await (const entry of input.entries) {
    if (!entry.record) continue;
    const result = validateMember(entry.record, { allowSynthetic: true });
    if (result.ok && !duplicate(result.member, "")) valid++;
  }
  return valid;
}

async function map(path: string): Promise<number> {
  const input = await readMembers({ path });
  let bytes = 0;
  const serialize = (bundle: Bundle) => {
    bytes += JSON.stringify(bundle).length;
    return Promise.resolve(undefined);
  };
  const report = await runSync({
    target: { offerings: serialize, members: serialize },
    members: input.entries,
    rules: { allowSynthetic: true },
    dryRun: true,
  });
  return report.members.prepared;
}

async function sync(
  path: string,
  baseUrl: string,
  extra: string[],
): Promise<number> {
  const code = await syncCommand([
    "--base-url",
    baseUrl,
    "--members",
    path,
    "--quiet",
    "--batch-size",
    "500",
    "--concurrency",
    "4",
    ...extra,
  ]);
  if (code !== 0) throw new Error(`sync exited with ${code}`);
  return Number.NaN;
}

/** A `kB` field of /proc/self/status (Linux), in bytes. */
function procStatusBytes(field: string): number | undefined {
  const status = Deno.readTextFileSync("/proc/self/status");
  const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
  return kb === undefined ? undefined : Number(kb) * 1024;
}

function peakRssBytes(): number {
  return procStatusBytes("VmHWM") ?? Deno.memoryUsage().rss;
}

/**
 * With `BENCH_MEMORY_SAMPLES=FILE`, append a JSON line every 500 ms: seconds
 * since start, resident set, V8 heap and external memory in MB. Where the
 * peak comes from, not just its size.
 */
function sampleMemory(file: string | undefined): () => void {
  if (!file) return () => {};
  const started = performance.now();
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  const sample = () => {
    const usage = Deno.memoryUsage();
    Deno.writeTextFileSync(
      file,
      JSON.stringify({
        s: Math.round((performance.now() - started) / 100) / 10,
        rss: mb(usage.rss),
        heapTotal: mb(usage.heapTotal),
        heapUsed: mb(usage.heapUsed),
        external: mb(usage.external),
        anon: mb(procStatusBytes("RssAnon") ?? Number.NaN),
        file: mb(procStatusBytes("RssFile") ?? Number.NaN),
      }) + "\n",
      { append: true },
    );
  };
  const timer = setInterval(sample, 500);
  return () => {
    clearInterval(timer);
    sample();
  };
}

if (import.meta.main) {
  const [stage, path, baseUrl = "", statePath = ""] = Deno.args as [
    Stage,
    string,
    string?,
    string?,
  ];
  const stateArgs = statePath ? ["--state", statePath] : [];
  const stopSampling = sampleMemory(Deno.env.get("BENCH_MEMORY_SAMPLES"));
  const started = performance.now();
  const members = stage === "baseline"
    ? await baseline(path)
    : stage === "read-validate"
    ? await readValidate(path)
    : stage === "map"
    ? await map(path)
    : await sync(path, baseUrl, stateArgs);
  const ms = performance.now() - started;
  stopSampling();
  console.log(JSON.stringify({
    stage,
    members,
    ms: Math.round(ms),
    peakRssBytes: peakRssBytes(),
  }));
}
