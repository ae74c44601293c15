/**
 * The latency record of a run: how long Helsenorge took to answer, per step,
 * against its stated limits (offerings under 3 s and members under 10 s for
 * 99 % of calls). Every attempt counts, resends included; an attempt the
 * client's timeout ended counts with the time it waited, so timeouts are not
 * hidden from the percentiles. Attempts that failed on the network (a reset)
 * are counted apart: they say nothing about the server's speed.
 *
 * @module
 */

import type { ClientEvent, Step } from "../helsenorge/client.ts";

/** Helsenorge's response-time limits per step, in ms. */
export const STEP_LIMITS_MS: Readonly<Record<Step, number>> = {
  offerings: 3000,
  members: 10_000,
};

/** Percentiles over some attempts (nearest rank: each is a measured time). */
export interface LatencyStats {
  /** Attempts timed: answers and timeouts. */
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** One step's record. */
export interface StepLatency extends LatencyStats {
  /** The step's limit (3 000 or 10 000 ms). */
  limitMs: number;
  /** Attempts that took the limit or longer. */
  overLimit: number;
  /** Whether p99 is under the limit, as Helsenorge asks. */
  p99UnderLimit: boolean;
  /** Attempts ended by the client's timeout. */
  timeouts: number;
  /** Attempts that failed on the network before an answer. */
  networkErrors: number;
  /** The same percentiles over the later half of the attempts. */
  later?: LatencyStats;
}

/** The run's record: one entry per step that made calls. */
export type LatencyRecord = Partial<Record<Step, StepLatency>>;

/** Most samples kept per step; past it, every other one is dropped. */
const MAX_SAMPLES = 100_000;

/** Collects attempt timings from client events during one run. */
export class LatencyRecorder {
  readonly #samples: Record<Step, number[]> = { offerings: [], members: [] };
  readonly #timeouts: Record<Step, number> = { offerings: 0, members: 0 };
  readonly #networkErrors: Record<Step, number> = { offerings: 0, members: 0 };

  /** Take one client event; events other than timings are ignored. */
  observe(event: ClientEvent): void {
    if (event.type === "response") {
      this.#add(event.step, event.durationMs);
    } else if (event.type === "no-answer") {
      if (event.timedOut) {
        this.#timeouts[event.step]++;
        this.#add(event.step, event.durationMs);
      } else {
        this.#networkErrors[event.step]++;
      }
    }
  }

  /** The record so far. */
  record(): LatencyRecord {
    const record: LatencyRecord = {};
    for (const step of ["offerings", "members"] as const) {
      const samples = this.#samples[step];
      if (samples.length === 0 && this.#networkErrors[step] === 0) continue;
      const limitMs = STEP_LIMITS_MS[step];
      const all = stats(samples);
      const half = samples.slice(Math.floor(samples.length / 2));
      record[step] = {
        ...all,
        limitMs,
        overLimit: samples.filter((ms) => ms >= limitMs).length,
        p99UnderLimit: all.p99 < limitMs,
        timeouts: this.#timeouts[step],
        networkErrors: this.#networkErrors[step],
        later: samples.length >= 2 ? stats(half) : undefined,
      };
    }
    return record;
  }

  #add(step: Step, ms: number): void {
    const samples = this.#samples[step];
    samples.push(Math.max(0, Math.round(ms)));
    if (samples.length > MAX_SAMPLES) {
      // Thin evenly so the later half still means the later half.
      this.#samples[step] = samples.filter((_, i) => i % 2 === 1);
    }
  }
}

/** Nearest-rank percentiles of `samples` (any order). */
export function stats(samples: readonly number[]): LatencyStats {
  if (samples.length === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (percent: number) =>
    sorted[
      Math.min(
        sorted.length,
        Math.max(1, Math.ceil((percent / 100) * sorted.length)),
      ) - 1
    ];
  return {
    count: sorted.length,
    p50: rank(50),
    p95: rank(95),
    p99: rank(99),
    max: sorted[sorted.length - 1],
  };
}

/**
 * The record as flat numbers for a run record's counters, e.g.
 * `latencyMembersP99Ms`; the status page reads them back.
 */
export function latencyCounts(record: LatencyRecord): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [step, latency] of Object.entries(record)) {
    const prefix = `latency${step[0].toUpperCase()}${step.slice(1)}`;
    counts[`${prefix}Count`] = latency.count;
    counts[`${prefix}P50Ms`] = latency.p50;
    counts[`${prefix}P95Ms`] = latency.p95;
    counts[`${prefix}P99Ms`] = latency.p99;
    counts[`${prefix}MaxMs`] = latency.max;
    counts[`${prefix}OverLimit`] = latency.overLimit;
    counts[`${prefix}Timeouts`] = latency.timeouts;
  }
  return counts;
}
