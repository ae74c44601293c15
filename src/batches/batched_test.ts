import assert from "node:assert/strict";
import { batched, isBatched, runsOf } from "./batched.ts";
import { AdaptiveBatchSize, adaptiveChunk } from "./adaptive.ts";

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

/** Runs as given, noting how far they were read and whether they stopped. */
function tracked<T>(runs: T[][]) {
  const seen = { pulled: 0, stopped: false };
  async function* source(): AsyncGenerator<T[]> {
    try {
      for (const run of runs) {
        seen.pulled++;
        yield run;
      }
    } finally {
      seen.stopped = true;
    }
  }
  return { source: source(), seen };
}

Deno.test("batched() reads item by item across runs, empty runs included", async () => {
  const { source, seen } = tracked([[1, 2], [], [3], [4, 5, 6]]);
  assert.deepEqual(await collect(batched(source)), [1, 2, 3, 4, 5, 6]);
  assert.equal(seen.pulled, 4);
  assert.ok(seen.stopped);
});

Deno.test("batched() hands over the runs themselves, without the empty ones", async () => {
  const { source } = tracked([[1, 2], [], [3]]);
  const items = batched(source);
  assert.ok(isBatched(items));
  assert.deepEqual(await collect(items.runs()), [[1, 2], [3]]);
});

Deno.test("batched() takes the next run only when the current one is used up", async () => {
  const { source, seen } = tracked([[1, 2], [3, 4], [5]]);
  const iterator = batched(source)[Symbol.asyncIterator]();
  assert.deepEqual(await iterator.next(), { done: false, value: 1 });
  assert.equal(seen.pulled, 1);
  assert.deepEqual(await iterator.next(), { done: false, value: 2 });
  assert.equal(seen.pulled, 1);
  assert.deepEqual(await iterator.next(), { done: false, value: 3 });
  assert.equal(seen.pulled, 2);
});

Deno.test("batched() stops the runs when the reader stops early", async () => {
  const { source, seen } = tracked([[1, 2], [3, 4], [5]]);
  for await (const item of batched(source)) {
    if (item === 3) break;
  }
  assert.equal(seen.pulled, 2);
  assert.ok(seen.stopped);
});

Deno.test("batched() answers calls made before the last one settled in order", async () => {
  const { source } = tracked([[1], [2], [3]]);
  const iterator = batched(source)[Symbol.asyncIterator]();
  const results = await Promise.all([
    iterator.next(),
    iterator.next(),
    iterator.next(),
    iterator.next(),
  ]);
  assert.deepEqual(results.map((r) => r.done ? "done" : r.value), [
    1,
    2,
    3,
    "done",
  ]);
});

Deno.test("batched() passes on the runs' error, then is done", async () => {
  async function* failing(): AsyncGenerator<number[]> {
    yield [1];
    throw new Error("unreadable");
  }
  const iterator = batched(failing())[Symbol.asyncIterator]();
  assert.deepEqual(await iterator.next(), { done: false, value: 1 });
  await assert.rejects(iterator.next(), /unreadable/);
  assert.deepEqual(await iterator.next(), { done: true, value: undefined });
});

Deno.test("runsOf() reads any other async iterable one item per run", async () => {
  async function* items() {
    yield "a";
    yield "b";
  }
  assert.equal(isBatched(items()), false);
  assert.deepEqual(await collect(runsOf(items())), [["a"], ["b"]]);
});

Deno.test("adaptiveChunk() makes the same batches from runs as from items", async () => {
  const runs = [[1, 2, 3], [4], [5, 6, 7, 8, 9, 10, 11], [12]];
  async function* items() {
    for (const run of runs) yield* run;
  }
  const size = () => new AdaptiveBatchSize({ initial: 5, min: 2, max: 5 });

  const fromRuns: number[][] = [];
  const sizer = size();
  for await (
    const batch of adaptiveChunk(batched(tracked(runs).source), sizer)
  ) {
    fromRuns.push(batch);
    // A size change applies to the next batch, as with items.
    if (fromRuns.length === 1) sizer.observe({ size: 5, timedOut: true });
  }
  const fromItems: number[][] = [];
  const other = size();
  for await (const batch of adaptiveChunk(items(), other)) {
    fromItems.push(batch);
    if (fromItems.length === 1) other.observe({ size: 5, timedOut: true });
  }
  assert.deepEqual(fromRuns, [[1, 2, 3, 4, 5], [6, 7], [8, 9], [10, 11], [
    12,
  ]]);
  assert.deepEqual(fromRuns, fromItems);
  assert.deepEqual(sizer.record(), other.record());
});
