/**
 * Batch size that adapts to how fast Helsenorge answers: additive increase,
 * multiplicative decrease (AIMD), as TCP adapts its window.
 *
 * Helsenorge answers member calls within 10 s for 99 % of calls and the
 * client gives up at 15 s; a call's time grows with its batch, so a batch
 * too large breaches the limit or is never answered. The size starts where
 * configured, halves when a call times out or takes longer than the target
 * (by default 80 % of the 10 s limit), and grows by a step when calls come
 * back in under half the target, always within `[min, max]`.
 *
 * @example
 * ```ts
 * const size = new AdaptiveBatchSize({ initial: 1000, min: 50, max: 1000 });
 * size.observe({ size: 1000, durationMs: 14_000 }); // size.current is now 500
 * for await (const batch of adaptiveChunk(members, size)) await send(batch);
 * ```
 *
 * @module
 */

import { runsOf } from "./batched.ts";

/** Options for {@linkcode AdaptiveBatchSize}. */
export interface AdaptiveBatchSizeOptions {
  /** The size to start from. */
  initial: number;
  /** Never smaller than this. @default initial */
  min?: number;
  /** Never larger than this. @default initial */
  max?: number;
  /**
   * A call slower than this shrinks the size; faster than half of it lets
   * the size grow. @default 8000 (80 % of Helsenorge's 10 s limit)
   */
  targetMs?: number;
  /** Members added after a fast call. @default a tenth of `initial`, at least 1 */
  step?: number;
  /** Factor applied after a slow call or a timeout. @default 0.5 */
  decrease?: number;
}

/** What one attempt of a call showed. */
export interface SizeSample {
  /** Members the call carried. */
  size: number;
  /** Time to the answer; absent for a timeout. */
  durationMs?: number;
  /** The client's timeout ended the attempt. */
  timedOut?: boolean;
  /** The answer was a 2xx (only those let the size grow). */
  ok?: boolean;
}

/** One change of size, for the report. */
export interface SizeChange {
  /** The call (1-based, counted by `observe`) that caused the change. */
  sample: number;
  from: number;
  to: number;
  reason: "slow" | "timeout" | "fast";
}

/** How the size moved over a run, for the report. */
export interface BatchSizeRecord {
  initial: number;
  final: number;
  /** Smallest and largest size used. */
  smallest: number;
  largest: number;
  /** The size most of the last calls used: where the run settled. */
  settled: number;
  shrinks: number;
  grows: number;
  /** The first changes, in order (at most 50). */
  changes: SizeChange[];
}

const MAX_CHANGES = 50;
const SETTLE_WINDOW = 20;

/** The batch size of one run; feed it every attempt's timing. */
export class AdaptiveBatchSize {
  readonly min: number;
  readonly max: number;
  readonly targetMs: number;
  readonly step: number;
  readonly decrease: number;
  readonly #initial: number;
  #current: number;
  #samples = 0;
  #shrinks = 0;
  #grows = 0;
  #smallest: number;
  #largest: number;
  #used: number[] = [];
  #changes: SizeChange[] = [];

  constructor(options: AdaptiveBatchSizeOptions) {
    const {
      initial,
      min = initial,
      max = initial,
      targetMs = 8000,
      step = Math.max(1, Math.round(initial / 10)),
      decrease = 0.5,
    } = options;
    for (const [name, value] of Object.entries({ initial, min, max, step })) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(
          `batch size ${name} must be a whole number >= 1, got ${value}`,
        );
      }
    }
    if (!(min <= initial && initial <= max)) {
      throw new RangeError(
        `batch sizes must keep min <= initial <= max, got ${min} <= ${initial} <= ${max}`,
      );
    }
    if (!(targetMs > 0)) {
      throw new RangeError(`targetMs must be above 0, got ${targetMs}`);
    }
    if (!(decrease > 0 && decrease < 1)) {
      throw new RangeError(`decrease must be between 0 and 1, got ${decrease}`);
    }
    this.min = min;
    this.max = max;
    this.targetMs = targetMs;
    this.step = step;
    this.decrease = decrease;
    this.#initial = initial;
    this.#current = initial;
    this.#smallest = initial;
    this.#largest = initial;
  }

  /** The size the next batch should have. */
  get current(): number {
    return this.#current;
  }

  /** Note the size a batch was made with (for the settled size). */
  used(size: number): void {
    this.#used.push(size);
    if (this.#used.length > SETTLE_WINDOW) this.#used.shift();
    this.#smallest = Math.min(this.#smallest, size);
    this.#largest = Math.max(this.#largest, size);
  }

  /**
   * Learn from one attempt. A slow call shrinks from the size it carried, not
   * from the current size, so calls in flight together that were all too
   * large shrink the size once, not once each. Returns what changed.
   */
  observe(sample: SizeSample): SizeChange | undefined {
    this.#samples++;
    const { size, durationMs, timedOut = false, ok = false } = sample;
    const slow = timedOut ||
      (durationMs !== undefined && durationMs > this.targetMs);
    if (slow) {
      const next = Math.max(
        this.min,
        Math.min(this.#current, Math.floor(size * this.decrease)),
      );
      return this.#change(next, timedOut ? "timeout" : "slow");
    }
    const fast = ok && durationMs !== undefined &&
      durationMs < this.targetMs / 2;
    // Only a call at the current size says the current size is fast.
    if (fast && size >= this.#current && this.#current < this.max) {
      return this.#change(
        Math.min(this.max, this.#current + this.step),
        "fast",
      );
    }
    return undefined;
  }

  /** How the size moved, for the report. */
  record(): BatchSizeRecord {
    return {
      initial: this.#initial,
      final: this.#current,
      smallest: this.#smallest,
      largest: this.#largest,
      settled: mostCommon(this.#used) ?? this.#current,
      shrinks: this.#shrinks,
      grows: this.#grows,
      changes: [...this.#changes],
    };
  }

  #change(
    next: number,
    reason: SizeChange["reason"],
  ): SizeChange | undefined {
    if (next === this.#current) return undefined;
    const change = {
      sample: this.#samples,
      from: this.#current,
      to: next,
      reason,
    };
    if (next < this.#current) this.#shrinks++;
    else this.#grows++;
    this.#current = next;
    if (this.#changes.length < MAX_CHANGES) this.#changes.push(change);
    return change;
  }
}

/**
 * Group a stream into batches whose size is read from `size` as each batch
 * starts, so a change applies to the next batch. Like `chunk()`, it pulls
 * only as batches are taken: memory holds one batch (and, for a
 * source read in runs (src/batches/batched.ts), the rest of the run).
 */
export async function* adaptiveChunk<T>(
  source: AsyncIterable<T>,
  size: AdaptiveBatchSize,
): AsyncGenerator<T[]> {
  let batch: T[] = [];
  let limit = size.current;
  for await (const run of runsOf(source)) {
    for (const item of run) {
      batch.push(item);
      if (batch.length >= limit) {
        size.used(limit);
        yield batch;
        batch = [];
        limit = size.current;
      }
    }
  }
  if (batch.length > 0) {
    size.used(limit);
    yield batch;
  }
}

function mostCommon(values: readonly number[]): number | undefined {
  const counts = new Map<number, number>();
  let best: number | undefined;
  let bestCount = 0;
  for (const value of values) {
    const count = (counts.get(value) ?? 0) + 1;
    counts.set(value, count);
    // Ties go to the later value: nearer to where the run ended.
    if (count >= bestCount) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}
