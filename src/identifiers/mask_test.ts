import assert from "node:assert/strict";
import { maskIdsInText, maskNationalId } from "./mask.ts";

Deno.test("maskNationalId() keeps only the six birth-date digits of an 11-digit id", () => {
  assert.equal(maskNationalId("23907640450"), "239076*****");
  assert.equal(maskNationalId(" 23907640450 "), "239076*****");
});

Deno.test("maskNationalId() keeps at most half of a short or odd value", () => {
  assert.equal(maskNationalId("9863110510"), "98631*****");
  assert.equal(maskNationalId("12345"), "12***");
  assert.equal(maskNationalId("1"), "*");
  assert.equal(maskNationalId(""), "");
});

Deno.test("maskNationalId() never returns an 11-digit value whole", () => {
  for (const value of ["23907640450", "239076404501", "2390764045012345"]) {
    const masked = maskNationalId(value);
    assert.equal(masked.slice(0, 6), value.slice(0, 6));
    assert.doesNotMatch(masked, /\d{7}/);
  }
});

Deno.test("maskIdsInText() masks ids written with spaces, dots or hyphens, and 10-digit ids", () => {
  assert.equal(
    maskIdsInText("a 239076 40450 b 239-07640450 c 239.076.404.50"),
    "a 239076***** b 239076***** c 239076*****",
  );
  assert.equal(maskIdsInText("id 9863110510"), "id 98631*****");
  assert.equal(
    maskIdsInText("org 948 554 062 from 01.01.2026 tel 22 00 00 00"),
    "org 948 554 062 from 01.01.2026 tel 22 00 00 00",
  );
});

Deno.test("maskIdsInText() leaves UUIDs intact but masks an id next to one", () => {
  const run = "86ad9e4a-cfdd-4281-8914-47cd1346b2c3";
  assert.equal(
    maskIdsInText(`run ${run} member 23907640450`),
    `run ${run} member 239076*****`,
  );
  assert.equal(
    maskIdsInText("upload 6af2c9d9-3428-4a16-8a16-310e33890d5b"),
    "upload 6af2c9d9-3428-4a16-8a16-310e33890d5b",
  );
});

Deno.test("maskIdsInText() gives back text with fewer than ten digits as it is", () => {
  for (
    const text of [
      "",
      "not consented",
      "org 948554062",
      "1 2 3 4 5 6 7 8 9",
      "run 86ad9e4a-cfdd-4281",
    ]
  ) {
    assert.equal(maskIdsInText(text), text);
  }
  // Ten digits, though not in one run: unchanged, but looked at.
  assert.equal(maskIdsInText("12345, 67890"), "12345, 67890");
  assert.equal(maskIdsInText("x1234567890"), "x12345*****");
});
