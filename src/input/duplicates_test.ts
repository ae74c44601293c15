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
      index.putIfAbsent(`${10_000_000_000 + i}`, i),
      undefined,
    );
  }
  assert.equal(index.size, 200_000);
  for (let i = 0; i < 200_000; i += 997) {
    assert.equal(
      index.putIfAbsent(`${10_000_000_000 + i}`, 999_999),
      i,
    );
  }
  assert.equal(index.putIfAbsent("10000200000", 5), undefined);
});

Deno.test("FirstRowIndex keeps ids exactly: ids that differ only above bit 32 stay apart", () => {
  const index = new FirstRowIndex(2);
  // 2^32 apart: the same low half, different high halves.
  const ids = ["00000000001", "04294967297", "08589934593", "99999999999"];
  ids.forEach((id, row) => assert.equal(index.putIfAbsent(id, row), undefined));
  ids.forEach((id, row) => assert.equal(index.putIfAbsent(id, 100), row));
  assert.throws(() => index.putIfAbsent("1234567890", 1), RangeError);
});

Deno.test("FirstRowIndex says 'far' for a first row past 134 million, and the warning says 'an earlier row'", () => {
  const index = new FirstRowIndex();
  assert.equal(index.putIfAbsent("15018952308", 200_000_000), undefined);
  assert.equal(
    index.putIfAbsent("15018952308", 200_000_001),
    FirstRowIndex.FAR_ROW,
  );
  assert.equal(index.putIfAbsent("17814734625", 134_217_725), undefined);
  assert.equal(index.putIfAbsent("17814734625", 134_217_726), 134_217_725);
  // Not a line number: kept as far, never as an empty slot.
  assert.equal(index.putIfAbsent("00000000042", -1), undefined);
  assert.equal(index.putIfAbsent("00000000042", 3), FirstRowIndex.FAR_ROW);
  assert.equal(index.putIfAbsent("00000000043", Number.NaN), undefined);
  assert.equal(index.putIfAbsent("00000000043", 3), FirstRowIndex.FAR_ROW);

  const duplicate = createDuplicateCheck();
  duplicate(member(150_000_000), "Fnr");
  assert.equal(
    duplicate(member(150_000_001), "Fnr")?.reason,
    "same national id and organization number as an earlier row",
  );
});

Deno.test("createDuplicateCheck() keeps each organization's members apart as rows switch between them", () => {
  const duplicate = createDuplicateCheck();
  const orgs = ["948554062", "974760673", "991234560"];
  // The same person on every row: the first row of each organization is
  // the first, and every later row repeats that organization's first.
  for (let row = 1; row <= 30; row++) {
    const warning = duplicate(member(row, orgs[row % 3]), "Fnr");
    if (row <= 3) assert.equal(warning, undefined, `row ${row}`);
    else {
      const first = row % 3 === 0 ? 3 : row % 3;
      assert.equal(
        warning?.reason,
        `same national id and organization number as row ${first}`,
      );
    }
  }
  assert.equal(
    duplicate({ ...member(31), nationalId: "17814734625" }, "Fnr"),
    undefined,
  );
});

Deno.test("FirstRowIndex grows from a small table without losing a key, and wants a power of two", () => {
  const index = new FirstRowIndex(2);
  for (let i = 0; i < 5_000; i++) {
    assert.equal(index.putIfAbsent(String(10_000_000_000 + i), i), undefined);
  }
  for (let i = 0; i < 5_000; i++) {
    assert.equal(index.putIfAbsent(String(10_000_000_000 + i), -1), i);
  }
  assert.equal(index.size, 5_000);
  assert.throws(() => new FirstRowIndex(1000), RangeError);
});
