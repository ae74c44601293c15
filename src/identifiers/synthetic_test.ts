import assert from "node:assert/strict";
import { parseNationalId } from "./national_id.ts";
import { syntheticNationalIds } from "./synthetic.ts";

function take(n: number, ids: Generator<string>): string[] {
  const out: string[] = [];
  for (const id of ids) {
    out.push(id);
    if (out.length === n) break;
  }
  return out;
}

Deno.test("syntheticNationalIds() yields distinct valid Test Norge ids with the asked D-nummer share", () => {
  const ids = take(5000, syntheticNationalIds({ dnrShare: 0.2 }));
  assert.equal(new Set(ids).size, ids.length);
  let dnr = 0;
  for (const id of ids) {
    const result = parseNationalId(id);
    assert.ok(result.ok, `${id.slice(0, 6)} is not valid`);
    assert.ok(result.id.synthetic);
    if (result.id.kind === "dnr") dnr++;
  }
  assert.ok(Math.abs(dnr / ids.length - 0.2) < 0.01, `D-nummer share ${dnr}`);
});

Deno.test("syntheticNationalIds() refuses an impossible share, and offset gives disjoint sets", () => {
  assert.throws(() => syntheticNationalIds({ dnrShare: 2 }).next(), RangeError);
  const first = take(100, syntheticNationalIds());
  const next = take(100, syntheticNationalIds({ offset: 100 }));
  assert.equal(new Set([...first, ...next]).size, 200);
  assert.deepEqual(take(100, syntheticNationalIds()), first);
});
