/**
 * Response-time bookkeeping for the two steps.
 *
 * Helsenorge states its limits as "under 3 s for 99 % of calls" (offerings)
 * and "under 10 s for 99 % of calls" (members); the mock times every call,
 * marks each one over its limit as a breach, and summarizes per step so a
 * test or demo can see the p99 it would be judged on.
 *
 * @module
 */

/** Which step a call belonged to; `unknown` when the Bundle type could not be read. */
export type CallStep = "offerings" | "members" | "unknown";

/** One timed call to `POST {base}`. */
export interface CallRecord {
  step: CallStep;
  /** ISO instant the call arrived, from the injected clock. */
  startedAt: string;
  durationMs: number;
  /** Entries in the Bundle, 0 when it could not be read. */
  entries: number;
  /** HTTP status of the answer. */
  status: number;
  /** Whether `durationMs` exceeded the step's limit. */
  breached: boolean;
  /** The fault injected into the call (./faults.ts), if any. */
  fault?: string;
}

/** Response-time limits in milliseconds. */
export interface TimeLimits {
  /** @default 3000 */
  offeringsMs: number;
  /** @default 10000 */
  membersMs: number;
}

/** Helsenorge's stated limits. */
export const DEFAULT_LIMITS: Readonly<TimeLimits> = Object.freeze({
  offeringsMs: 3000,
  membersMs: 10000,
});

/** Per-step statistics over the recorded calls. */
export interface StepSummary {
  count: number;
  /** The limit the step is held to; null for `unknown`. */
  limitMs: number | null;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  breaches: number;
}

/** The limit for a step, or undefined when it has none. */
export function limitFor(
  step: CallStep,
  limits: TimeLimits,
): number | undefined {
  if (step === "offerings") return limits.offeringsMs;
  if (step === "members") return limits.membersMs;
  return undefined;
}

/**
 * Summarize calls per step. Percentiles use the nearest-rank method, so each
 * is a duration that was actually measured. Steps without calls are left out.
 */
export function summarizeCalls(
  calls: readonly CallRecord[],
  limits: TimeLimits,
): Partial<Record<CallStep, StepSummary>> {
  const byStep = new Map<CallStep, CallRecord[]>();
  for (const call of calls) {
    const list = byStep.get(call.step) ?? [];
    list.push(call);
    byStep.set(call.step, list);
  }

  const summary: Partial<Record<CallStep, StepSummary>> = {};
  for (const [step, list] of byStep) {
    const sorted = list.map((c) => c.durationMs).sort((a, b) => a - b);
    summary[step] = {
      count: list.length,
      limitMs: limitFor(step, limits) ?? null,
      p50: nearestRank(sorted, 50),
      p95: nearestRank(sorted, 95),
      p99: nearestRank(sorted, 99),
      max: sorted[sorted.length - 1],
      breaches: list.filter((c) => c.breached).length,
    };
  }
  return summary;
}

/** The nearest-rank percentile of ascending values (non-empty). */
export function nearestRank(
  sorted: readonly number[],
  percent: number,
): number {
  const rank = Math.ceil((percent / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
}
