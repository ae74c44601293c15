import assert from "node:assert/strict";
import { createDuplicateCheck, FirstRowIndex } from "./duplicates.ts";
import type { Member } from "./member.ts";

const member = (row: number, organizationNumber = "948554062"): Member => ({
  row,
  nationalId: "15018952308",
  idKind: "fnr",
  idSystem: "urn:oid:2.16.578.1.12.4.1.4.1",
  organizationNumber,
  start: "2026-01-01",
  end: "2026-12-31",
});

Deno.test("createDuplicateCheck() warns about a later row for the same member and organization", () => {
  const duplicate = createDuplicateCheck();
  assert.equal(duplicate(member(9), "Fnr"), undefined);
  assert.equal(duplicate(member(10, "974760673"), "Fnr"), undefined);
  const warning = duplicate(member(42), "Fnr");
  assert.equal(warning?.code, "duplicate");
  assert.equal(warning?.severity, "warning");
  assert.equal(warning?.row, 42);
  assert.equal(warning?.value, "150189*****");
  assert.match(warning?.reason ?? "", /row 9/);
});

Deno.test("FirstRowIndex keeps the first row of 200 000 distinct keys and finds every repeat", () => {
  const index = new FirstRowIndex();
  for (let i = 0; i < 200_000; i++) {
    assert.equal(
      index.putIfAbsent(`${10_000_000_000 + i}|948554062`, i),
      undefined,
    );
  }
  assert.equal(index.size, 200_000);
  for (let i = 0; i < 200_000; i += 997) {
    assert.equal(
      index.putIfAbsent(`${10_000_000_000 + i}|948554062`, 999_999),
      i,
    );
  }
  assert.equal(index.putIfAbsent("10000000000|974760673", 5), undefined);
});
