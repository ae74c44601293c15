/**
 * When a member is tried again.
 *
 * Citizens who have not consented may do so any day, so they are retried
 * daily for a week, then weekly (Helsenorge: "the sender tracks each
 * member's digital status and retries inactive members periodically").
 * Transport failures are short-lived, so they are retried within minutes.
 *
 * @module
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Delays in milliseconds after the 1st, 2nd, ... consecutive answer of one
 * kind; the last delay repeats for every later attempt.
 */
export interface RetrySchedule {
  /** After a "not consented" answer. */
  notConsented: readonly number[];
  /** After a failed call (no usable answer), and for members left pending. */
  failed: readonly number[];
}

/** Daily for 7 days, then weekly; failures after 5 min, 15 min, then hourly. */
export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = {
  notConsented: [DAY, DAY, DAY, DAY, DAY, DAY, DAY, 7 * DAY],
  failed: [5 * MINUTE, 15 * MINUTE, HOUR],
};

/** Check a schedule and return a frozen copy; throws `RangeError`. */
export function checkRetrySchedule(schedule: RetrySchedule): RetrySchedule {
  for (const kind of ["notConsented", "failed"] as const) {
    const delays = schedule[kind];
    if (!Array.isArray(delays) || delays.length === 0) {
      throw new RangeError(
        `Cannot use the retry schedule: "${kind}" needs at least one delay`,
      );
    }
    for (const delay of delays) {
      if (!Number.isFinite(delay) || delay <= 0) {
        throw new RangeError(
          `Cannot use the retry schedule: "${kind}" has delay ${delay}; delays are positive milliseconds`,
        );
      }
    }
  }
  return Object.freeze({
    notConsented: Object.freeze([...schedule.notConsented]),
    failed: Object.freeze([...schedule.failed]),
  });
}

/**
 * The time of the next try after the `attempt`-th consecutive answer of one
 * kind (1-based).
 *
 * @example
 * ```ts
 * nextRetryAt(DEFAULT_RETRY_SCHEDULE.notConsented, 8, now); // now + 7 days
 * ```
 */
export function nextRetryAt(
  delays: readonly number[],
  attempt: number,
  now: Date,
): Date {
  const index = Math.min(Math.max(attempt, 1), delays.length) - 1;
  return new Date(now.getTime() + delays[index]);
}
