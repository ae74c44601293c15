// deno-lint-ignore-file no-console -- a benchmark script: printing is its job
/**
 * `deno task bench [--members N] [--stages a,b] [--state FILE]`: generate a
 * member export of N synthetic Test Norge ids and measure each stage in its
 * own process, with members per second, peak resident memory and the ratio
 * to the parse-and-serialize baseline. The mock runs in a separate process
 * too, bound to 127.0.0.1, and is stopped at the end. `--state` runs sync
 * and delta against an existing store and keeps it (a fresh one otherwise).
 *
 * Numbers are for reading, not asserting: CI runs this at a small N only to
 * keep it working.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { writeMemberCsv } from "./generate.ts";
import { type Stage, STAGES } from "./stage.ts";

interface Result {
  stage: Stage;
  members: number;
  ms: number;
  peakRssBytes: number;
}

const ROOT = new URL("../", import.meta.url).pathname;
// Reading the peak RSS from /proc/self/status needs --allow-all in Deno 2.
// The stages only talk to the mock this script starts on 127.0.0.1.
const PERMISSIONS = ["--allow-all"];

// The same V8 flags as the sync task in deno.json: the sync's live heap is
// small, and without a cap on the young generation and a modest old-space
// limit V8 collects lazily and peak RSS grows with the run (measured in
// docs/performance.md).
const V8_FLAGS = "--v8-flags=--max-semi-space-size=16,--max-old-space-size=256";

async function startMockProcess(): Promise<
  { baseUrl: string; stop: () => Promise<void> }
> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-env",
      `${ROOT}mock-helsenorge/main.ts`,
      "--port",
      "0",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/https?:\/\/\S+/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the mock exited before it listened");
    text += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  const url = /(https?:\/\/\S+)/.exec(text)![1].replace(/\/$/, "");
  const baseUrl = url.includes("/helsekontakter/")
    ? url
    : `${url}/helsekontakter/api/v1`;
  return {
    baseUrl,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

async function runStage(stage: Stage, args: string[]): Promise<Result> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMISSIONS,
      V8_FLAGS,
      `${ROOT}bench/stage.ts`,
      stage,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout).trim().split("\n");
  if (code !== 0) {
    throw new Error(
      `stage ${stage} failed (${code}): ${new TextDecoder().decode(stderr)}`,
    );
  }
  return JSON.parse(out[out.length - 1]);
}

function format(result: Result, members: number, baselineMs?: number): string {
  const perSecond = Math.round(members / (result.ms / 1000));
  const mb = (result.peakRssBytes / 1024 / 1024).toFixed(0);
  const ratio = baselineMs ? ` ${(result.ms / baselineMs).toFixed(2)}x` : "";
  return `${result.stage.padEnd(14)} ${
    (result.ms / 1000).toFixed(2).padStart(7)
  } s ${String(perSecond).padStart(9)} members/s  peak RSS ${
    mb.padStart(4)
  } MB${ratio ? `  ratio to baseline${ratio}` : ""}`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      members: { type: "string", default: "1000000" },
      stages: { type: "string", default: STAGES.join(",") },
      keep: { type: "boolean", default: false },
      // An existing store to run sync and delta against (kept afterwards).
      state: { type: "string" },
    },
  });
  const members = Number(values.members);
  if (!Number.isInteger(members) || members < 1) {
    console.error(`--members must be a whole number >= 1`);
    Deno.exit(2);
  }
  const stages = values.stages.split(",") as Stage[];
  for (const stage of stages) {
    if (!STAGES.includes(stage)) {
      console.error(`unknown stage ${stage}; stages: ${STAGES.join(", ")}`);
      Deno.exit(2);
    }
  }

  const dir = `${ROOT}.tmp/bench`;
  await Deno.mkdir(dir, { recursive: true });
  const csv = `${dir}/members-${members}.csv`;
  const state = values.state ??
    `${dir}/state-${members}-${Date.now()}.sqlite`;
  const generated = performance.now();
  await writeMemberCsv(csv, members);
  console.log(
    `Generated ${members} members in ${
      ((performance.now() - generated) / 1000).toFixed(1)
    } s (${(Deno.statSync(csv).size / 1024 / 1024).toFixed(1)} MB)`,
  );
  console.log(
    `Machine: ${Deno.build.os} ${Deno.build.arch}, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}`,
  );

  const mock = stages.some((s) => s === "sync" || s === "delta")
    ? await startMockProcess()
    : undefined;
  let baselineMs: number | undefined;
  try {
    for (const stage of stages) {
      const args = stage === "sync" || stage === "delta"
        ? [csv, mock!.baseUrl, state]
        : [csv];
      const result = await runStage(stage, args);
      if (stage === "baseline") baselineMs = result.ms;
      console.log(format(result, members, baselineMs));
    }
  } finally {
    await mock?.stop();
    if (!values.keep) await Deno.remove(csv).catch(() => {});
    if (!values.keep && values.state === undefined) {
      for (const suffix of ["", "-shm", "-wal"]) {
        await Deno.remove(state + suffix).catch(() => {});
      }
    }
  }
}
