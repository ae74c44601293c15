import assert from "node:assert/strict";
import { parseNationalId } from "./national_id.ts";
import { D_NUMMER_SYSTEM, FODSELSNUMMER_SYSTEM } from "./systems.ts";

// Ids of people born in 1889 (individual numbers 500-749): valid check
// digits, and no living person has them.
const FNR = "15018952308";
const DNR = "45128952369";

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

Deno.test("parseNationalId() accepts a fødselsnummer with its system", () => {
  assert.deepEqual(parseNationalId(FNR), {
    ok: true,
    id: {
      value: FNR,
      kind: "fnr",
      system: FODSELSNUMMER_SYSTEM,
      synthetic: false,
      restoredLeadingZero: false,
    },
  });
});

Deno.test("parseNationalId() gives a D-nummer the D-nummer system", () => {
  const result = parseNationalId(DNR);
  assert.ok(result.ok);
  assert.equal(result.id.kind, "dnr");
  assert.equal(result.id.system, D_NUMMER_SYSTEM);
});

Deno.test("parseNationalId() accepts all four K1 remainders of the 2032 rule, and no fifth", () => {
  for (const remainder of [0, 1, 2, 3]) {
    const id = withCheckDigits("150189523", remainder);
    assert.ok(parseNationalId(id).ok, `remainder ${remainder}`);
  }
  const fifth = withCheckDigits("150189523", 4);
  assert.deepEqual(parseNationalId(fifth), {
    ok: false,
    reason: "national id has wrong check digits",
  });
});

Deno.test("parseNationalId() marks synthetic Test Norge ids and refuses them when asked", () => {
  const synthetic = "23907640450"; // month 90 = October + 80
  const allowed = parseNationalId(synthetic);
  assert.ok(allowed.ok);
  assert.equal(allowed.id.synthetic, true);

  const refused = parseNationalId(synthetic, { allowSynthetic: false });
  assert.equal(refused.ok, false);
  assert.match(!refused.ok ? refused.reason : "", /synthetic/);

  const dnr = parseNationalId("67870860290"); // synthetic D-nummer
  assert.ok(dnr.ok);
  assert.equal(dnr.id.kind, "dnr");
  assert.equal(dnr.id.synthetic, true);
});

Deno.test("parseNationalId() restores a leading zero a spreadsheet dropped", () => {
  const result = parseNationalId("9863110510");
  assert.ok(result.ok);
  assert.equal(result.id.value, "09863110510");
  assert.equal(result.id.restoredLeadingZero, true);
});

Deno.test("parseNationalId() ignores spaces, including non-breaking ones", () => {
  const result = parseNationalId(" 150189\u00a052308 ");
  assert.ok(result.ok);
  assert.equal(result.id.value, FNR);
});

Deno.test("parseNationalId() refuses bad input with a reason that holds no id", () => {
  const cases: [string, RegExp][] = [
    ["", /missing/],
    ["1501895230X", /only digits/],
    ["150189523", /11 digits, found 9/],
    ["150189523081", /11 digits, found 12/],
    ["15018952309", /check digits/],
    ["01927043715", /check digits/], // line 39 of the sample export
  ];
  for (const [input, reason] of cases) {
    const result = parseNationalId(input);
    assert.equal(result.ok, false, input);
    if (!result.ok) {
      assert.match(result.reason, reason, input);
      assert.doesNotMatch(result.reason, /\d{6}/);
    }
  }
});

Deno.test("parseNationalId() refuses an impossible birth date", () => {
  // 31 February 1889, with whichever K1 remainder gives digits.
  const id = [0, 1, 2, 3].map((r) => {
    try {
      return withCheckDigits("310289523", r);
    } catch {
      return undefined;
    }
  }).find((v) => v !== undefined);
  assert.ok(id);
  const result = parseNationalId(id);
  assert.deepEqual(result, {
    ok: false,
    reason: "national id does not hold a valid birth date",
  });
});

Deno.test("parseNationalId() reads bare digits as it reads them with spaces", () => {
  assert.deepEqual(parseNationalId(FNR), parseNationalId(` ${FNR}\t`));
  assert.deepEqual(
    parseNationalId("9863110510"),
    parseNationalId("986311 0510"),
  );
  assert.deepEqual(parseNationalId("1501895230"), {
    ok: false,
    reason: "national id must have 11 digits, found 10",
  });
  assert.deepEqual(parseNationalId("15018952308 x"), {
    ok: false,
    reason: "national id must contain only digits",
  });
});
