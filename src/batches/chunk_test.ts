import assert from "node:assert/strict";
import { chunk } from "./chunk.ts";
import { forEachBounded } from "./bounded.ts";

async function* count(n: number) {
  for (let i = 1; i <= n; i++) yield i;
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

Deno.test("chunk() splits a stream into full batches and a last short one", async () => {
  assert.deepEqual(await collect(chunk(count(7), 3)), [[1, 2, 3], [4, 5, 6], [
    7,
  ]]);
  assert.deepEqual(await collect(chunk(count(0), 3)), []);
});

Deno.test("chunk() refuses a batch size below 1", async () => {
  await assert.rejects(() => collect(chunk(count(3), 0)), RangeError);
});

Deno.test("forEachBounded() never runs more than the limit at once", async () => {
  let inFlight = 0;
  let peak = 0;
  const seen: number[] = [];
  await forEachBounded(count(20), 3, async (item) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, item % 3));
    seen.push(item);
    inFlight--;
  });
  assert.equal(peak, 3);
  assert.deepEqual(seen.sort((a, b) => a - b), [...count20()]);
});

function* count20() {
  for (let i = 1; i <= 20; i++) yield i;
}

Deno.test("forEachBounded() stops pulling after a failure and rethrows it", async () => {
  const started: number[] = [];
  await assert.rejects(
    () =>
      forEachBounded(count(100), 2, async (item) => {
        started.push(item);
        await Promise.resolve();
        if (item === 3) throw new Error("boom");
      }),
    /boom/,
  );
  assert.ok(started.length < 10, `pulled ${started.length} items`);
});
