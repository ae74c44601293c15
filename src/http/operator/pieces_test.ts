import assert from "node:assert/strict";
import { pickLanguage } from "./i18n.ts";
import { memberRefs } from "./member_ref.ts";
import { csvCell, problemsCsv } from "./problems_csv.ts";

Deno.test("pickLanguage() takes the highest q among nb and en, bokmål by default", () => {
  assert.equal(pickLanguage(undefined), "nb");
  assert.equal(pickLanguage("en-US,en;q=0.9"), "en");
  assert.equal(pickLanguage("nn-NO,en;q=0.5"), "nb");
  assert.equal(pickLanguage("no;q=0.4,en-GB;q=0.8"), "en");
  assert.equal(pickLanguage("de-DE,fr;q=0.9"), "nb");
  assert.equal(pickLanguage("en;q=0,nb;q=0.1"), "nb");
});

Deno.test("member references open only with their key and hide the id key", async () => {
  const refs = await memberRefs("a-secret-of-at-least-32-characters!!");
  const other = await memberRefs("another-secret-of-32-characters-long");
  const token = await refs.seal({
    organizationNumber: "948554062",
    idKey: "23907640450",
  });
  assert.ok(!token.includes("23907640450"));
  assert.deepEqual(await refs.open(token), {
    organizationNumber: "948554062",
    idKey: "23907640450",
  });
  assert.equal(await other.open(token), undefined);
  assert.equal(await refs.open(token.slice(0, -2) + "AA"), undefined);
  assert.equal(await refs.open("not a token"), undefined);
});

Deno.test("problemsCsv() writes a BOM, ; and CRLF, masks ids and defuses formulas", () => {
  const text = problemsCsv([
    {
      row: 3,
      code: "invalid-national-id",
      value: "239076*****",
      reason: "bad",
    },
    {
      row: 4,
      code: "rejected-by-helsenorge",
      value: "239076*****",
      reason: '=HYPERLINK("x"); id 23907640450',
    },
  ], {
    header: ["Run", "Row", "Value", "Code", "Reason"],
    runStartedAt: "2026-06-15T00:30:00.000Z",
  });
  assert.ok(text.startsWith("\uFEFFRun;Row;Value;Code;Reason\r\n"));
  assert.ok(!text.includes("23907640450"));
  assert.equal(
    text.split("\r\n")[2],
    `2026-06-15T00:30:00.000Z;4;239076*****;rejected-by-helsenorge;"'=HYPERLINK(""x""); id 239076*****"`,
  );
  assert.equal(csvCell("-1"), "'-1");
  assert.equal(csvCell(undefined), "");
});
