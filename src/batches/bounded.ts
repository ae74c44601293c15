/**
 * Running work on a stream with a bounded number of tasks in flight.
 *
 * @module
 */

/**
 * Call `worker` for each item of `source`, with at most `concurrency` calls
 * running at once. The source is pulled only when a slot is free, so a large
 * stream is never read ahead. The first worker error stops new work; it is
 * thrown after the calls in flight have settled.
 */
export async function forEachBounded<T>(
  source: AsyncIterable<T>,
  concurrency: number,
  worker: (item: T) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(
      `concurrency must be a whole number >= 1, got ${concurrency}`,
    );
  }
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;

  for await (const item of source) {
    if (failure) break;
    const task = worker(item).catch((error) => {
      failure ??= { error };
    }).finally(() => running.delete(task));
    running.add(task);
    if (running.size >= concurrency) await Promise.race(running);
    if (failure) break;
  }
  await Promise.all(running);
  if (failure) throw failure.error;
}
