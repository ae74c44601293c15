/**
 * The short human summary printed at the end of a sync.
 *
 * @module
 */

import type { SyncReport } from "../sync/report.ts";

const SHOWN_PROBLEMS = 20;

const ENDINGS: Record<number, string> = {
  0: "Done.",
  1: "Done, but some rows were rejected (exit code 1).",
  3: "Could not finish (exit code 3).",
  4: "Nothing done: another run is in progress (exit code 4).",
};

/** Render `report` as a few lines of text for a terminal. */
export function formatSummary(
  report: SyncReport,
  context: { membersPath?: string; reportPath?: unknown } = {},
): string {
  const lines: string[] = [];
  const { offerings: o, members: m } = report;
  const mode = report.dryRun ? " (dry run: nothing sent)" : "";

  const where = report.destination && !report.dryRun
    ? ` at ${report.destination}`
    : "";
  lines.push(`Sync to ${report.environment}${where}${mode}`);
  if (report.input && context.membersPath) {
    const { format, encoding, delimiter } = report.input;
    const sep = delimiter ? `, delimiter ${JSON.stringify(delimiter)}` : "";
    lines.push(
      `  Input:     ${context.membersPath} (${format}, ${encoding}${sep})`,
    );
  }
  if (o.status !== "skipped") {
    lines.push(
      `  Offerings: ${o.status}: ${o.organizations} organizations, ${o.locations} locations, ${o.healthcareServices} services`,
    );
  }
  if (m.read > 0 || report.input) {
    const outcome = report.dryRun
      ? `${m.prepared} prepared`
      : `${m.stored} stored, ${m.notConsented} not consented, ${m.failed} failed`;
    lines.push(`  Members:   ${m.read} read: ${outcome}`);
    const skipped = [
      m.unchanged && `${m.unchanged} unchanged (not sent again)`,
      m.notDue && `${m.notDue} not consented, retry not due yet`,
      m.notSent && `${m.notSent} not sent (the run stopped)`,
      m.ended && `${m.ended} memberships ended`,
    ].filter(Boolean);
    if (skipped.length > 0) lines.push(`             ${skipped.join(", ")}`);
    lines.push(
      `             ${m.invalid} invalid, ${m.duplicates} duplicates, ${m.warnings} with warnings, ${m.batches} calls`,
    );
  }

  for (const [step, l] of Object.entries(report.latency ?? {})) {
    const verdict = l.p99UnderLimit
      ? `p99 under the ${l.limitMs / 1000} s limit`
      : `p99 NOT under the ${l.limitMs / 1000} s limit`;
    const faults = [
      l.overLimit && `${l.overLimit} over the limit`,
      l.timeouts && `${l.timeouts} timed out`,
      l.networkErrors && `${l.networkErrors} network errors`,
    ].filter(Boolean);
    lines.push(
      `  Latency:   ${step}: ${l.count} attempts, p50 ${ms(l.p50)}, p95 ${
        ms(l.p95)
      }, p99 ${ms(l.p99)}, max ${ms(l.max)}: ${verdict}${
        faults.length > 0 ? ` (${faults.join(", ")})` : ""
      }`,
    );
  }
  const b = report.batchSize;
  if (b && (b.shrinks > 0 || b.grows > 0)) {
    lines.push(
      `  Batches:   started at ${b.initial}, settled at ${b.settled} (${b.shrinks} shrinks, ${b.grows} grows, smallest ${b.smallest}, largest ${b.largest})`,
    );
  }

  if (report.problems.length > 0) {
    lines.push("  Problems:");
    for (const p of report.problems.slice(0, SHOWN_PROBLEMS)) {
      const column = p.column ? ` ${p.column}` : "";
      const value = p.value ? ` "${p.value}"` : "";
      lines.push(
        `    row ${p.row}${column}${value}: ${p.severity}: ${p.reason}`,
      );
    }
    const more = report.problems.length - SHOWN_PROBLEMS +
      report.problemsOmitted;
    if (more > 0) {
      lines.push(
        `    ... and ${more} more${
          context.reportPath
            ? ` in ${context.reportPath}`
            : " (use --report FILE)"
        }`,
      );
    }
  }
  if (
    m.read === 0 && !report.input && o.status === "skipped" &&
    report.exitCode !== 4
  ) {
    lines.push("  Members:   none were due for a retry");
  }
  for (const note of report.notes ?? []) lines.push(`  Note: ${note}`);
  if (report.stoppedBecause) lines.push(`  Stopped: ${report.stoppedBecause}`);
  lines.push(ENDINGS[report.exitCode] ?? `Exit code ${report.exitCode}.`);
  return lines.join("\n") + "\n";
}

/** `850 ms`, `12.4 s`: a duration, for the summary. */
function ms(value: number): string {
  return value < 1000 ? `${value} ms` : `${(value / 1000).toFixed(1)} s`;
}
