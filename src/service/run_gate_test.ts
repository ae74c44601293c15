import assert from "node:assert/strict";
import { RunGate } from "./run_gate.ts";

Deno.test("RunGate runs one at a time, in the order they came, and an error does not block the next", async () => {
  const gate = new RunGate();
  const order: string[] = [];
  let running = 0;
  let most = 0;
  const work = (name: string, fail = false) => async () => {
    running++;
    most = Math.max(most, running);
    order.push(`${name} start`);
    await new Promise((resolve) => setTimeout(resolve, 1));
    order.push(`${name} end`);
    running--;
    if (fail) throw new Error(`${name} failed`);
    return name;
  };

  assert.equal(gate.busy, false);
  const a = gate.run(work("a"));
  const b = gate.run(work("b", true));
  const c = gate.run(work("c"));
  assert.equal(gate.busy, true);

  assert.equal(await a, "a");
  await assert.rejects(b, /b failed/);
  assert.equal(await c, "c");
  assert.equal(most, 1);
  assert.deepEqual(order, [
    "a start",
    "a end",
    "b start",
    "b end",
    "c start",
    "c end",
  ]);
  await Promise.resolve();
  assert.equal(gate.busy, false);
});
