/**
 * A small SVG chart of Helsenorge's response times per run: member calls'
 * p50, p95, p99 and max (and offerings' p99), on a log scale so both tens
 * of milliseconds and the limits fit, against the 3 s and 10 s lines. Read
 * from the run records' counters (`latencyMembersP99Ms`, ...,
 * src/sync/latency.ts); runs without them are left out. No script.
 *
 * @module
 */

import type { RunRecord } from "../../state/runs.ts";
import { type Dictionary, formatTime, type Language } from "./i18n.ts";

const WIDTH = 640;
const HEIGHT = 220;
const LEFT = 56;
const RIGHT = 150;
const TOP = 12;
const BOTTOM = 34;
const MIN_MS = 10;

/** Helsenorge's response-time limits (99 % of calls), drawn as dashed lines. */
const LIMITS = [
  { ms: 10_000, color: "#c0392b", label: "chartLimitMembers" },
  { ms: 3000, color: "#e67e22", label: "chartLimitOfferings" },
] as const;

/** The series drawn, with their counter names and colours. */
export const SERIES = [
  { label: "p50", key: "latencyMembersP50Ms", colour: "#1b7f3b" },
  { label: "p95", key: "latencyMembersP95Ms", colour: "#b8860b" },
  { label: "p99", key: "latencyMembersP99Ms", colour: "#c0392b" },
  { label: "max", key: "latencyMembersMaxMs", colour: "#6c3483" },
  {
    label: "offerings p99",
    key: "latencyOfferingsP99Ms",
    colour: "#2e6da4",
    dashed: true,
  },
] as const;

/** Runs that recorded any response time, oldest first. */
export function chartRuns(runs: readonly RunRecord[]): RunRecord[] {
  return runs.filter((run) =>
    (run.counts?.latencyMembersCount ?? 0) > 0 ||
    (run.counts?.latencyOfferingsCount ?? 0) > 0
  ).reverse();
}

export function LatencyChart(
  props: { runs: readonly RunRecord[]; t: Dictionary; language: Language },
) {
  const { t, language } = props;
  const runs = chartRuns(props.runs);
  if (runs.length === 0) return <p class="muted">{t.noLatency}</p>;

  const values = runs.flatMap((run) =>
    SERIES.map((s) => run.counts?.[s.key] ?? 0)
  );
  const maxMs = Math.max(12_000, ...values);
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const y = (ms: number) => {
    const v = Math.log10(Math.max(ms, MIN_MS));
    const lo = Math.log10(MIN_MS);
    const hi = Math.log10(maxMs);
    return TOP + plotH - ((v - lo) / (hi - lo)) * plotH;
  };
  const x = (i: number) =>
    LEFT + (runs.length === 1 ? plotW / 2 : (i / (runs.length - 1)) * plotW);
  const ticks = [10, 100, 1000, 3000, 10_000].filter((ms) => ms <= maxMs);
  const tickLabel = (ms: number) => ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;

  return (
    <svg
      class="chart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      width={WIDTH}
      height={HEIGHT}
      role="img"
      aria-label={t.latency}
      xmlns="http://www.w3.org/2000/svg"
    >
      <title>{t.latency}</title>
      {ticks.map((ms) => (
        <g>
          <line
            x1={LEFT}
            x2={LEFT + plotW}
            y1={y(ms)}
            y2={y(ms)}
            stroke="#e3e3e3"
          />
          <text x={LEFT - 6} y={y(ms) + 4} text-anchor="end" class="tick">
            {tickLabel(ms)}
          </text>
        </g>
      ))}
      {LIMITS.map((limit) => (
        <g>
          <line
            x1={LEFT}
            x2={LEFT + plotW}
            y1={y(limit.ms)}
            y2={y(limit.ms)}
            stroke={limit.color}
            stroke-width="2"
            stroke-dasharray="6 4"
          />
          <text x={LEFT + plotW + 6} y={y(limit.ms) + 4} class="limit">
            {t[limit.label]}
          </text>
        </g>
      ))}
      {SERIES.map((series) => {
        const points = runs.flatMap((run, i) => {
          const ms = run.counts?.[series.key];
          return ms === undefined ? [] : [[x(i), y(ms), ms] as const];
        });
        if (points.length === 0) return null;
        return (
          <g class={`series-${series.label.replace(" ", "-")}`}>
            {points.length > 1 && (
              <polyline
                fill="none"
                stroke={series.colour}
                stroke-width="1.5"
                stroke-dasharray={"dashed" in series ? "3 3" : undefined}
                points={points.map(([px, py]) => `${px},${py}`).join(" ")}
              />
            )}
            {points.map(([px, py, ms]) => (
              <circle cx={px} cy={py} r="3" fill={series.colour}>
                <title>{`${series.label}: ${ms} ms`}</title>
              </circle>
            ))}
          </g>
        );
      })}
      {runs.map((run, i) => (
        <text
          x={x(i)}
          y={HEIGHT - BOTTOM + 16}
          text-anchor="middle"
          class="tick"
        >
          {formatTime(run.startedAt, language).split(/,? /).pop()}
        </text>
      ))}
      {SERIES.map((series, i) => (
        <g>
          <rect
            x={LEFT + plotW + 8}
            y={TOP + 50 + i * 16}
            width="10"
            height="10"
            fill={series.colour}
          />
          <text x={LEFT + plotW + 22} y={TOP + 59 + i * 16} class="tick">
            {series.label}
          </text>
        </g>
      ))}
    </svg>
  );
}
