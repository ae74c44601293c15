import assert from "node:assert/strict";
import {
  D_NUMMER_SYSTEM,
  FODSELSNUMMER_SYSTEM,
} from "../identifiers/systems.ts";
import type { MemberRecord } from "./member.ts";
import { readMembers } from "./read_members.ts";
import { memberValidator, validateMember } from "./validate_member.ts";
import { collect, fixture } from "./_test_helpers.ts";

// Ids of people born in 1889 (individual numbers 500-749): check digits are
// valid, and no living person has them.
const FNR = "15018952308";
const DNR = "45128952369";
// A synthetic Test Norge id from the sample export (month + 80).
const SYNTHETIC = "23907640450";

function record(
  fields: Partial<Record<keyof MemberRecord, string>>,
  row = 2,
): MemberRecord {
  const columns = {
    nationalId: "Fødselsnummer",
    organizationNumber: "Organisasjonsnummer",
    start: "Medlem fra",
    end: "Medlem til",
  } as const;
  const out: MemberRecord = { row };
  for (const key of Object.keys(columns) as (keyof typeof columns)[]) {
    const value = fields[key];
    if (value !== undefined) out[key] = { value, column: columns[key] };
  }
  return out;
}

const good = {
  nationalId: FNR,
  organizationNumber: "948 554 062",
  start: "01.01.2026",
  end: "2026-12-31",
};

Deno.test("validateMember() accepts a good row and normalizes it", () => {
  const result = validateMember(record(good, 7), { allowSynthetic: false });
  assert.deepEqual(result, {
    ok: true,
    member: {
      row: 7,
      nationalId: FNR,
      idKind: "fnr",
      idSystem: FODSELSNUMMER_SYSTEM,
      organizationNumber: "948554062",
      start: "2026-01-01",
      end: "2026-12-31",
    },
    warnings: [],
  });
});

Deno.test("validateMember() gives a D-nummer the D-nummer system", () => {
  const result = validateMember(record({ ...good, nationalId: DNR }), {
    allowSynthetic: false,
  });
  assert.ok(result.ok);
  assert.equal(result.member.idKind, "dnr");
  assert.equal(result.member.idSystem, D_NUMMER_SYSTEM);
});

Deno.test("validateMember() refuses a synthetic id in production and accepts it elsewhere", () => {
  const row = record({ ...good, nationalId: SYNTHETIC });
  const prod = validateMember(row, { allowSynthetic: false });
  assert.ok(!prod.ok);
  assert.equal(prod.problems[0].code, "synthetic-id-in-production");
  assert.equal(prod.problems[0].value, "239076*****");
  assert.ok(validateMember(row, { allowSynthetic: true }).ok);
});

Deno.test("validateMember() accepts an id under the 2032 rule", () => {
  // K1 chosen so the weighted sum leaves remainder 1, allowed only since the
  // rule change; K2 as before.
  const id = withCheckDigits("150189523", 1);
  const result = validateMember(record({ ...good, nationalId: id }), {
    allowSynthetic: false,
  });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
});

Deno.test("validateMember() collects every problem of a row, masking the id", () => {
  const result = validateMember(
    record({
      nationalId: "15018952309",
      organizationNumber: "948554063",
      start: "29.02.2026",
      end: "",
    }, 12),
    { allowSynthetic: true },
  );
  assert.ok(!result.ok);
  assert.deepEqual(
    result.problems.map((p) => [p.code, p.column, p.row]),
    [
      ["invalid-national-id", "Fødselsnummer", 12],
      ["invalid-organization-number", "Organisasjonsnummer", 12],
      ["invalid-date", "Medlem fra", 12],
      ["missing-end-date", "Medlem til", 12],
    ],
  );
  assert.equal(result.problems[0].value, "150189*****");
  assert.ok(result.problems.every((p) => p.severity === "error"));
});

Deno.test("validateMember() reports missing fields with the field name when the file had no such key", () => {
  const result = validateMember({ row: 3 }, { allowSynthetic: true });
  assert.ok(!result.ok);
  assert.deepEqual(result.problems.map((p) => [p.code, p.column]), [
    ["missing-field", "nationalId"],
    ["missing-field", "organizationNumber"],
    ["missing-field", "start"],
    ["missing-end-date", "end"],
  ]);
});

Deno.test("validateMember() uses defaultEnd for a row without an end date", () => {
  const result = validateMember(record({ ...good, end: "" }), {
    allowSynthetic: false,
    defaultEnd: "31.12.2099",
  });
  assert.ok(result.ok);
  assert.equal(result.member.end, "2099-12-31");
  assert.throws(
    () =>
      validateMember(record(good), {
        allowSynthetic: false,
        defaultEnd: "someday",
      }),
    RangeError,
  );
});

Deno.test("validateMember() refuses an end before the start, and allows a one-day membership", () => {
  const bad = validateMember(
    record({ ...good, start: "31.12.2026", end: "01.01.2026" }),
    {
      allowSynthetic: false,
    },
  );
  assert.ok(!bad.ok);
  assert.deepEqual(bad.problems.map((p) => p.code), ["end-before-start"]);
  const oneDay = validateMember(
    record({ ...good, start: "2026-05-17", end: "17.05.2026" }),
    {
      allowSynthetic: false,
    },
  );
  assert.ok(oneDay.ok);
});

Deno.test("validateMember() restores a dropped leading zero with a warning", () => {
  const result = validateMember(record({ ...good, nationalId: "9863110510" }), {
    allowSynthetic: true,
  });
  assert.ok(result.ok);
  assert.equal(result.member.nationalId, "09863110510");
  assert.deepEqual(result.warnings.map((w) => [w.code, w.severity, w.value]), [
    ["restored-leading-zero", "warning", "98631*****"],
  ]);
});

Deno.test("validateMember() on the sample export: lines 39-41 invalid, a warning on 38", async () => {
  const input = await readMembers({ path: fixture("medlemmer-eksport.csv") });
  const invalid: number[] = [];
  const warnings: number[] = [];
  const codes: string[] = [];
  for (const entry of await collect(input.entries)) {
    assert.ok(entry.record);
    const result = validateMember(entry.record, { allowSynthetic: true });
    if (result.ok) warnings.push(...result.warnings.map((w) => w.row));
    else {
      invalid.push(entry.record.row);
      codes.push(...result.problems.map((p) => p.code));
    }
  }
  assert.deepEqual(invalid, [39, 40, 41]);
  assert.deepEqual(codes, [
    "invalid-national-id",
    "missing-end-date",
    "end-before-start",
  ]);
  assert.deepEqual(warnings, [38]);
});

Deno.test("validateMember() never puts a full national id in a problem", async () => {
  const input = await readMembers({ path: fixture("medlemmer-eksport.csv") });
  for await (const entry of input.entries) {
    const result = validateMember(entry.record!, { allowSynthetic: false });
    const problems = result.ok ? result.warnings : result.problems;
    for (const problem of problems) {
      assert.doesNotMatch(JSON.stringify(problem), /\d{10}/);
    }
  }
});

Deno.test("memberValidator() gives what validateMember() gives, row after row", async () => {
  const input = await readMembers({ path: fixture("medlemmer-eksport.csv") });
  const options = { allowSynthetic: true, defaultEnd: "31.12.2099" };
  const validate = memberValidator(options);
  const rows = (await collect(input.entries)).map((entry) => entry.record!);
  // Twice, so the second pass meets every date and number again.
  for (const row of [...rows, ...rows]) {
    assert.deepEqual(validate(row), validateMember(row, options));
  }
});

Deno.test("memberValidator() refuses a bad defaultEnd on every call, not before", () => {
  const validate = memberValidator({
    allowSynthetic: false,
    defaultEnd: "someday",
  });
  for (let i = 0; i < 2; i++) {
    assert.throws(() => validate(record(good)), RangeError);
  }
});

Deno.test("validateMember() reads the same date or number the same way in any column", () => {
  // The same text as a start and an end date, good and bad, in a row.
  const dates = ["01.01.2026", "29.02.2026", "01.01.2026", "2026-01-01"];
  for (const date of dates) {
    const result = validateMember(record({ ...good, start: date, end: date }), {
      allowSynthetic: true,
    });
    if (date === "29.02.2026") {
      assert.ok(!result.ok);
      assert.deepEqual(result.problems.map((p) => [p.code, p.reason]), [
        [
          "invalid-date",
          "start date: 2026 is not a leap year: February has 28 days",
        ],
        [
          "invalid-date",
          "end date: 2026 is not a leap year: February has 28 days",
        ],
      ]);
    } else {
      assert.ok(result.ok);
      assert.equal(result.member.start, "2026-01-01");
      assert.equal(result.member.end, "2026-01-01");
    }
  }
});

/** Append check digits; `remainder` is what the K1 sum leaves mod 11. */
function withCheckDigits(nine: string, remainder: number): string {
  const w1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
  const w2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
  const digits = [...nine].map(Number);
  const sum1 = digits.reduce((sum, d, i) => sum + d * w1[i], 0);
  const k1 = (remainder - sum1 % 11 + 11) % 11;
  assert.ok(k1 <= 9, "no single-digit K1 gives that remainder");
  const sum2 = [...digits, k1].reduce((sum, d, i) => sum + d * w2[i], 0);
  const k2 = (11 - sum2 % 11) % 11;
  assert.ok(k2 <= 9, "no valid K2");
  return nine + k1 + k2;
}
