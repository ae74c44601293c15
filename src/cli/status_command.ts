/**
 * `deno task status`: what the state store knows: members by status per
 * organization, members due for retry and when, and the last runs. No full
 * national id is ever shown.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ENVIRONMENT_NAMES } from "../config/environments.ts";
import { MEMBER_STATUSES } from "../state/member_state.ts";
import { openStateStore } from "../state/store.ts";
import type { StatusSummary } from "../state/status.ts";
import { ExitCode } from "../sync/report.ts";
import { defaultStatePath } from "../state/state_path.ts";
import { terminalSafe } from "./terminal.ts";
import { errorMessage } from "../errors.ts";

export const STATUS_HELP = `Show what Medlemsbro's state store knows.

Usage:
  deno task status [--env ENV] [--state PATH] [--runs N] [--json]

Options:
  --env NAME    environment whose state to read (default: mock, or MEDLEMSBRO_ENV)
  --state PATH  state store (default .medlemsbro/ENV.sqlite, or MEDLEMSBRO_STATE)
  --runs N      how many recent runs to list (default 5)
  --json        print JSON for machines
  -h, --help    this text
`;

/** Run `status`; returns the exit code. */
export async function statusCommand(args: string[]): Promise<number> {
  const encoder = new TextEncoder();
  const out = (text: string) =>
    Deno.stdout.writeSync(encoder.encode(terminalSafe(text)));
  const err = (text: string) =>
    Deno.stderr.writeSync(encoder.encode(terminalSafe(text)));

  let values;
  try {
    values = parseArgs({
      args,
      strict: true,
      options: {
        env: { type: "string" },
        state: { type: "string" },
        runs: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    err(`${(error as Error).message}\n\n${STATUS_HELP}`);
    return ExitCode.usage;
  }
  if (values.help) {
    out(STATUS_HELP);
    return ExitCode.ok;
  }

  const env = values.env ?? Deno.env.get("MEDLEMSBRO_ENV") ?? "mock";
  if (!(ENVIRONMENT_NAMES as readonly string[]).includes(env)) {
    err(`--env must be one of ${ENVIRONMENT_NAMES.join(", ")}\n`);
    return ExitCode.usage;
  }
  const runs = Number(values.runs ?? 5);
  if (!Number.isInteger(runs) || runs < 0 || runs > 100) {
    err("--runs must be a whole number from 0 to 100\n");
    return ExitCode.usage;
  }
  const path = values.state ?? Deno.env.get("MEDLEMSBRO_STATE") ??
    defaultStatePath(env);
  if (path === "none" || path === ":memory:") {
    err(`--state ${path} keeps nothing to show\n`);
    return ExitCode.usage;
  }
  if (!(await exists(path))) {
    out(`No state at ${path} yet: run a sync first.\n`);
    return ExitCode.ok;
  }

  const secret = Deno.env.get("MEDLEMSBRO_ID_KEY_SECRET");
  let store;
  try {
    store = await openStateStore({
      path,
      idKeySecret: secret ? encoder.encode(secret) : undefined,
      environment: env,
    });
  } catch (error) {
    err(`${errorMessage(error)}\n`);
    return ExitCode.usage;
  }
  try {
    const summary = await store.statusSummary();
    summary.runs = await store.lastRuns(runs);
    out(
      values.json
        ? JSON.stringify({ state: path, ...summary }, null, 2) + "\n"
        : formatStatus(path, summary),
    );
    return ExitCode.ok;
  } finally {
    store.close();
  }
}

/** Render the summary for a terminal. */
export function formatStatus(path: string, summary: StatusSummary): string {
  const lines = [`State: ${path}`];
  const organizations = Object.entries(summary.organizations);
  if (organizations.length === 0) lines.push("No members yet.");
  for (const [organization, counts] of organizations) {
    const parts = MEMBER_STATUSES.map((status) =>
      `${counts[status]} ${status}`
    );
    lines.push(`  Organization ${organization}: ${parts.join(", ")}`);
  }

  const { due } = summary;
  const times = [...new Set(due.next)];
  const next = times.length > 0 ? `; next: ${times.join(", ")}` : "";
  lines.push(
    `Due for retry now: ${due.now}${due.capped ? "+" : ""}${next}`,
  );

  lines.push(summary.runs.length > 0 ? "Last runs:" : "No runs yet.");
  for (const run of summary.runs) {
    const c = run.counts ?? {};
    const counted = [
      ["read", c.read],
      ["stored", c.stored],
      ["not consented", c.notConsented],
      ["unchanged", c.unchanged],
      ["invalid", c.invalid],
      ["failed", c.failed],
      ["ended", c.ended],
    ].filter(([, n]) => typeof n === "number" && n > 0)
      .map(([label, n]) => `${n} ${label}`).join(", ");
    const ending = run.status === "running"
      ? "running"
      : `exit ${run.exitCode ?? "?"}`;
    lines.push(
      `  ${run.startedAt} ${run.trigger ?? ""} ${ending}: ${
        counted || "nothing"
      }${run.stoppedBecause ? `; stopped: ${run.stoppedBecause}` : ""}`,
    );
    for (const step of ["offerings", "members"] as const) {
      const latency = formatLatency(step, c);
      if (latency) lines.push(`    ${latency}`);
    }
    if (typeof c.batchSizeSettled === "number") {
      lines.push(
        `    batch size: started at ${c.batchSizeInitial}, settled at ${c.batchSizeSettled}, smallest ${c.batchSizeSmallest}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

/** Helsenorge's limits: offerings under 3 s, members under 10 s (p99). */
const LIMITS_MS = { offerings: 3000, members: 10_000 };

/**
 * One run's latency for a step, from the counters the run record keeps
 * (`latencyMembersP99Ms`, ...; src/sync/latency.ts), or undefined.
 */
function formatLatency(
  step: "offerings" | "members",
  counts: Record<string, number>,
): string | undefined {
  const prefix = `latency${step[0].toUpperCase()}${step.slice(1)}`;
  const count = counts[`${prefix}Count`];
  if (typeof count !== "number") return undefined;
  const p99 = counts[`${prefix}P99Ms`];
  const limit = LIMITS_MS[step];
  const verdict = p99 < limit ? "under" : "NOT under";
  const extra = [
    counts[`${prefix}OverLimit`] && `${counts[`${prefix}OverLimit`]} over`,
    counts[`${prefix}Timeouts`] && `${counts[`${prefix}Timeouts`]} timed out`,
  ].filter(Boolean);
  return `${step} latency: ${count} attempts, p50 ${
    counts[`${prefix}P50Ms`]
  } ms, p95 ${counts[`${prefix}P95Ms`]} ms, p99 ${p99} ms, max ${
    counts[`${prefix}MaxMs`]
  } ms; p99 ${verdict} the ${limit / 1000} s limit${
    extra.length ? ` (${extra.join(", ")})` : ""
  }`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
