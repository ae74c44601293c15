/**
 * Splitting a stream of items into batches.
 *
 * @module
 */

/**
 * Group an async stream into arrays of at most `size` items, yielding each
 * batch as soon as it is full, so memory holds one batch, not the stream.
 *
 * @example
 * ```ts
 * for await (const batch of chunk(members, 200)) await send(batch);
 * ```
 */
export async function* chunk<T>(
  source: AsyncIterable<T>,
  size: number,
): AsyncGenerator<T[]> {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`batch size must be a whole number >= 1, got ${size}`);
  }
  let batch: T[] = [];
  for await (const item of source) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
