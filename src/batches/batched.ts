/**
 * Streams whose items come in runs: an async iterable that can be read item
 * by item as usual, or a run (an array) at a time.
 *
 * Every item read with `for await` costs a promise, and every async
 * generator stacked on another costs a few more: about 0.2 µs an item per
 * generator on the build machine. A sync stacked five of them per row
 * (about a second per million rows) before rows were handed on in runs.
 * A source that produces items in runs anyway (a CSV chunk's rows) hands
 * them on whole with {@linkcode batched}; a stage that can work on a run at
 * once reads {@linkcode runsOf} it, and still accepts any other async
 * iterable.
 *
 * @example
 * ```ts
 * const rows = batched(readRuns()); // AsyncIterable<Row> with runs()
 * for await (const run of runsOf(rows)) for (const row of run) handle(row);
 * ```
 *
 * @module
 */

/** An async iterable whose items can also be read a run at a time. */
export interface Batched<T> extends AsyncIterable<T> {
  /**
   * The same items in runs, as the source produced them (never empty). The
   * stream is read once: read it either item by item or by runs.
   */
  runs(): AsyncIterable<readonly T[]>;
}

/** Whether `source` can be read a run at a time. */
export function isBatched<T>(
  source: AsyncIterable<T>,
): source is Batched<T> {
  return typeof (source as Partial<Batched<T>>).runs === "function";
}

/**
 * Read `source` a run at a time: its own runs when it has them, otherwise
 * one item per run.
 */
export function runsOf<T>(
  source: AsyncIterable<T>,
): AsyncIterable<readonly T[]> {
  return isBatched(source) ? source.runs() : singles(source);
}

async function* singles<T>(source: AsyncIterable<T>): AsyncGenerator<T[]> {
  for await (const item of source) yield [item];
}

/**
 * A {@linkcode Batched} view of a stream of runs. Read item by item, it
 * takes the next run only when the current one is used up, so it reads no
 * further ahead than the runs do; stopping early (`break`) stops the runs.
 */
export function batched<T>(
  runs: AsyncIterable<readonly T[]>,
): Batched<T> {
  return {
    runs: () => nonEmpty(runs),
    [Symbol.asyncIterator]: () =>
      new ItemIterator(runs[Symbol.asyncIterator]()),
  };
}

async function* nonEmpty<T>(
  runs: AsyncIterable<readonly T[]>,
): AsyncGenerator<readonly T[]> {
  for await (const run of runs) if (run.length > 0) yield run;
}

/** Items of a stream of runs, one promise per item and none per layer. */
class ItemIterator<T> implements AsyncIterator<T, undefined> {
  readonly #runs: AsyncIterator<readonly T[]>;
  #run: readonly T[] = [];
  #next = 0;
  #done = false;
  /** A pull in progress; a second `next()` waits for it, as generators do. */
  #pulling: Promise<IteratorResult<T, undefined>> | undefined;

  constructor(runs: AsyncIterator<readonly T[]>) {
    this.#runs = runs;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#pulling) {
      const after = () => this.next();
      return this.#pulling.then(after, after);
    }
    if (this.#next < this.#run.length) {
      return Promise.resolve({ done: false, value: this.#run[this.#next++] });
    }
    if (this.#done) return Promise.resolve({ done: true, value: undefined });
    this.#pulling = this.#pull().finally(() => this.#pulling = undefined);
    return this.#pulling;
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    this.#run = [];
    this.#next = 0;
    if (!this.#done) {
      this.#done = true;
      await this.#runs.return?.();
    }
    return { done: true, value: undefined };
  }

  async #pull(): Promise<IteratorResult<T, undefined>> {
    while (true) {
      let result: IteratorResult<readonly T[]>;
      try {
        result = await this.#runs.next();
      } catch (error) {
        this.#done = true;
        throw error;
      }
      if (result.done) {
        this.#done = true;
        this.#run = [];
        this.#next = 0;
        return { done: true, value: undefined };
      }
      if (result.value.length === 0) continue;
      this.#run = result.value;
      this.#next = 1;
      return { done: false, value: result.value[0] };
    }
  }
}
