import assert from "node:assert/strict";
import { memo } from "./memo.ts";

Deno.test("memo() parses each input once and hands out the same frozen result", () => {
  const calls: string[] = [];
  const parse = memo((input: string) => {
    calls.push(input);
    return { value: input.toUpperCase() };
  }, 10);
  const first = parse("a");
  assert.equal(parse("b").value, "B");
  assert.equal(parse("a"), first);
  assert.equal(parse("a"), first);
  assert.deepEqual(calls, ["a", "b"]);
  assert.ok(Object.isFrozen(first));
});

Deno.test("memo() starts over when full, and still answers right", () => {
  const calls: string[] = [];
  const parse = memo((input: string) => {
    calls.push(input);
    return { length: input.length };
  }, 2);
  const inputs = ["a", "bb", "ccc", "dddd", "eeeee", "ffffff", "a", "ffffff"];
  for (const input of inputs) {
    assert.equal(parse(input).length, input.length);
  }
  // "a" was neither among the last four inputs nor in the table any more;
  // "ffffff" was among the last four.
  assert.deepEqual(calls, inputs.slice(0, 7));
});
