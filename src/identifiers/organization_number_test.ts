import assert from "node:assert/strict";
import {
  organizationCheckDigit,
  parseOrganizationNumber,
} from "./organization_number.ts";

Deno.test("parseOrganizationNumber() normalizes spaces and dots", () => {
  assert.deepEqual(parseOrganizationNumber("948 554 062"), {
    ok: true,
    value: "948554062",
  });
  assert.deepEqual(parseOrganizationNumber("974\u00a0760\u00a0673"), {
    ok: true,
    value: "974760673",
  });
  assert.deepEqual(parseOrganizationNumber("974.760.673"), {
    ok: true,
    value: "974760673",
  });
});

Deno.test("parseOrganizationNumber() refuses a wrong check digit", () => {
  const result = parseOrganizationNumber("948554063");
  assert.deepEqual(result, {
    ok: false,
    reason: "organization number has a wrong check digit",
  });
});

Deno.test("parseOrganizationNumber() refuses wrong lengths, letters and blanks", () => {
  for (
    const input of ["94855406", "9485540620", "NO948554062", "948-554-062"]
  ) {
    const result = parseOrganizationNumber(input);
    assert.equal(result.ok, false, input);
    assert.match(!result.ok ? result.reason : "", /9 digits/);
  }
  assert.deepEqual(parseOrganizationNumber("  "), {
    ok: false,
    reason: "organization number is missing",
  });
});

Deno.test("organizationCheckDigit() follows mod 11 with weights 3 2 7 6 5 4 3 2", () => {
  assert.equal(organizationCheckDigit("94855406"), 2);
  assert.equal(organizationCheckDigit("97476067"), 3);
  // A sum divisible by 11 gives 0.
  assert.equal(organizationCheckDigit("00000000"), 0);
  // A remainder of 1 would need check digit 10: no valid number exists.
  assert.equal(organizationCheckDigit("00000040"), -1);
  for (let last = 0; last <= 9; last++) {
    assert.equal(parseOrganizationNumber(`00000040${last}`).ok, false);
  }
});
