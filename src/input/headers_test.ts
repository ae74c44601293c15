import assert from "node:assert/strict";
import {
  DEFAULT_HEADER_ALIASES,
  MissingColumnError,
  normalizeHeader,
  resolveColumns,
} from "./headers.ts";
import { InputError } from "./problem.ts";

const source = "test.csv";

Deno.test("normalizeHeader() ignores case, diacritics, spaces and punctuation", () => {
  assert.equal(normalizeHeader(" Fødselsnummer "), "fodselsnummer");
  assert.equal(normalizeHeader("FØDSELS-NUMMER"), "fodselsnummer");
  assert.equal(normalizeHeader("Org.nr"), "orgnr");
  assert.equal(normalizeHeader("medlem_fra"), normalizeHeader("Medlem fra"));
  assert.equal(normalizeHeader("Ærfugl Årstid"), "aerfuglarstid");
});

Deno.test("resolveColumns() finds Norwegian and English names", () => {
  const nb = resolveColumns(
    ["Fødselsnummer/D-nummer", "Navn", "Orgnr", "Startdato", "Sluttdato"],
    { source },
  );
  assert.deepEqual(nb.nationalId, {
    index: 0,
    column: "Fødselsnummer/D-nummer",
  });
  assert.equal(nb.organizationNumber?.index, 2);
  assert.equal(nb.start?.column, "Startdato");
  assert.equal(nb.end?.index, 4);

  const en = resolveColumns(
    [
      "national ID",
      "Organization Number",
      "Membership start",
      "Membership end",
    ],
    { source },
  );
  assert.deepEqual(
    [
      en.nationalId?.index,
      en.organizationNumber?.index,
      en.start?.index,
      en.end?.index,
    ],
    [0, 1, 2, 3],
  );
});

Deno.test("resolveColumns() lets the caller's aliases win over built-in names", () => {
  const header = ["Kundenr", "Fnr", "orgnr", "fra", "til"];
  const columns = resolveColumns(header, {
    source,
    headerAliases: { nationalId: ["Kundenr"] },
  });
  assert.deepEqual(columns.nationalId, { index: 0, column: "Kundenr" });
});

Deno.test("resolveColumns() names the field, the names tried and the header when a column is missing", () => {
  assert.throws(
    () =>
      resolveColumns(["Fnr", "Navn", "Medlem fra", "Medlem til"], { source }),
    (error) => {
      assert.ok(error instanceof MissingColumnError);
      assert.ok(error instanceof InputError);
      assert.equal(error.code, "missing-column");
      assert.deepEqual(error.fields, ["organizationNumber"]);
      assert.match(error.message, /organizationNumber/);
      assert.match(error.message, /"Organisasjonsnummer"/);
      assert.match(error.message, /"Fnr", "Navn", "Medlem fra", "Medlem til"/);
      return true;
    },
  );
});

Deno.test("resolveColumns() masks a header that is really a data row", () => {
  assert.throws(
    () =>
      resolveColumns(["23907640450", "948554062", "01.01.2026"], { source }),
    (error) => {
      assert.ok(error instanceof MissingColumnError);
      assert.doesNotMatch(error.message, /23907640450/);
      assert.match(error.message, /239076\*\*\*\*\*/);
      return true;
    },
  );
});

Deno.test("resolveColumns() allows an optional field to be absent", () => {
  const columns = resolveColumns(["fnr", "orgnr", "start"], {
    source,
    optional: ["end"],
  });
  assert.equal(columns.end, undefined);
});

Deno.test("resolveColumns() refuses two columns for one field", () => {
  assert.throws(
    () =>
      resolveColumns(["Fnr", "Personnummer", "orgnr", "fra", "til"], {
        source,
      }),
    (error) => error instanceof InputError && error.code === "ambiguous-column",
  );
});

Deno.test("the built-in alias list has no name under two fields", () => {
  const seen = new Map<string, string>();
  for (const [field, names] of Object.entries(DEFAULT_HEADER_ALIASES)) {
    for (const name of names) {
      const key = normalizeHeader(name);
      assert.equal(seen.get(key) ?? field, field, `"${name}" is listed twice`);
      seen.set(key, field);
    }
  }
});
