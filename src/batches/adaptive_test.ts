import assert from "node:assert/strict";
import { AdaptiveBatchSize, adaptiveChunk } from "./adaptive.ts";

async function* count(n: number) {
  for (let i = 1; i <= n; i++) yield i;
}

Deno.test("AdaptiveBatchSize halves on a slow call or a timeout, never below min", () => {
  const size = new AdaptiveBatchSize({ initial: 1000, min: 300, max: 1000 });
  assert.equal(size.observe({ size: 1000, durationMs: 14_000 })?.to, 500);
  // A second call that carried 1,000 does not halve it again.
  assert.equal(size.observe({ size: 1000, durationMs: 14_000 }), undefined);
  assert.equal(size.current, 500);
  assert.deepEqual(size.observe({ size: 500, timedOut: true }), {
    sample: 3,
    from: 500,
    to: 300,
    reason: "timeout",
  });
  size.observe({ size: 300, timedOut: true });
  assert.equal(size.current, 300);
});

Deno.test("AdaptiveBatchSize grows by a step after a fast 2xx at the current size, up to max", () => {
  const size = new AdaptiveBatchSize({
    initial: 100,
    min: 10,
    max: 125,
    step: 10,
  });
  size.observe({ size: 100, durationMs: 3000, ok: true });
  assert.equal(size.current, 110);
  // Fast but not a 2xx, or an older smaller call: no growth.
  size.observe({ size: 110, durationMs: 10, ok: false });
  size.observe({ size: 100, durationMs: 10, ok: true });
  assert.equal(size.current, 110);
  // Between half the target and the target: hold.
  size.observe({ size: 110, durationMs: 5000, ok: true });
  assert.equal(size.current, 110);
  size.observe({ size: 110, durationMs: 10, ok: true });
  size.observe({ size: 120, durationMs: 10, ok: true });
  assert.equal(size.current, 125);
  const record = size.record();
  assert.equal(record.grows, 3);
  assert.equal(record.shrinks, 0);
});

Deno.test("AdaptiveBatchSize refuses bounds that do not hold the initial size", () => {
  assert.throws(
    () => new AdaptiveBatchSize({ initial: 100, min: 200, max: 300 }),
    /min <= initial <= max/,
  );
  assert.throws(() => new AdaptiveBatchSize({ initial: 0 }), RangeError);
  assert.throws(
    () => new AdaptiveBatchSize({ initial: 10, targetMs: 0 }),
    RangeError,
  );
});

Deno.test("adaptiveChunk() takes each batch's size as it starts, and records the size it settled on", async () => {
  const size = new AdaptiveBatchSize({ initial: 4, min: 1, max: 4 });
  const batches: number[][] = [];
  for await (const batch of adaptiveChunk(count(11), size)) {
    batches.push(batch);
    if (batches.length === 1) size.observe({ size: 4, durationMs: 9000 });
  }
  assert.deepEqual(batches, [[1, 2, 3, 4], [5, 6], [7, 8], [9, 10], [11]]);
  assert.equal(size.record().settled, 2);
  assert.equal(size.record().smallest, 2);
});
