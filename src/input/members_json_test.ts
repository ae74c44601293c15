import assert from "node:assert/strict";
import { readJsonMembers, readNdjsonMembers } from "./members_json.ts";
import { InputError } from "./problem.ts";
import { collect, textStream } from "./_test_helpers.ts";

const source = "members.json";

Deno.test("readJsonMembers() reads an array and maps keys through the aliases", async () => {
  const text = JSON.stringify([
    {
      nationalId: "23907640450",
      organizationNumber: "948554062",
      start: "2026-01-01",
      end: "2026-12-31",
      name: "Kari",
    },
    {
      Fødselsnummer: 9863110510,
      Orgnr: 948554062,
      "Medlem fra": "01.01.2026",
      "Medlem til": null,
    },
  ]);
  const entries = await collect(
    await readJsonMembers(textStream(text), { source }),
  );
  assert.deepEqual(entries[0], {
    record: {
      row: 1,
      nationalId: { value: "23907640450", column: "nationalId" },
      organizationNumber: { value: "948554062", column: "organizationNumber" },
      start: { value: "2026-01-01", column: "start" },
      end: { value: "2026-12-31", column: "end" },
    },
  });
  assert.deepEqual(entries[1].record?.nationalId, {
    value: "9863110510",
    column: "Fødselsnummer",
  });
  assert.deepEqual(entries[1].record?.end, { value: "", column: "Medlem til" });
});

Deno.test("readJsonMembers() reads { members: [...] } and yields a problem for a non-object", async () => {
  const text = '{ "members": [ { "fnr": "23907640450" }, 42 ] }';
  const entries = await collect(
    await readJsonMembers(textStream(text), { source }),
  );
  assert.equal(entries.length, 2);
  assert.equal(entries[0].record?.row, 1);
  assert.equal(entries[1].problem?.code, "malformed-row");
  assert.equal(entries[1].problem?.row, 2);
});

Deno.test("readJsonMembers() refuses bad JSON with its line but without its content", async () => {
  const text = '[\n{"fnr": "23907640450"},\n{"fnr": "17814734625",}\n]';
  await assert.rejects(
    readJsonMembers(textStream(text), { source }),
    (error) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.code, "not-json");
      assert.equal(error.line, 3);
      assert.doesNotMatch(error.message, /1781473/);
      return true;
    },
  );
});

Deno.test("readJsonMembers() refuses JSON that is not a member list", async () => {
  await assert.rejects(
    readJsonMembers(textStream('{"people": []}'), { source }),
    (error) => error instanceof InputError && error.code === "not-json",
  );
});

Deno.test("readJsonMembers() reports a nested value as a malformed row", async () => {
  const text = '[{"fnr": {"value": "23907640450"}, "orgnr": "948554062"}]';
  const [entry] = await collect(
    await readJsonMembers(textStream(text), { source }),
  );
  assert.equal(entry.problem?.code, "malformed-row");
  assert.equal(entry.problem?.column, "fnr");
  assert.equal(entry.problem?.value, "");
});

Deno.test("readNdjsonMembers() numbers rows by line and reads past a bad line", async () => {
  const text = [
    '{"nationalId":"23907640450","organizationNumber":"948554062","start":"2026-01-01","end":"2026-12-31"}',
    "",
    '{"nationalId":"1781473',
    '{"Kundenr":"17814734625","orgnr":"948554062"}',
    "[1,2]",
    '{"fnr":"21838440581"}',
  ].join("\r\n");
  const entries = await collect(
    readNdjsonMembers(textStream(text, 11), {
      source: "members.ndjson",
      headerAliases: { nationalId: ["Kundenr"] },
    }),
  );
  assert.deepEqual(
    entries.map((e) =>
      e.record ? `record ${e.record.row}` : `problem ${e.problem?.row}`
    ),
    ["record 1", "problem 3", "record 4", "problem 5", "record 6"],
  );
  assert.equal(entries[1].problem?.value, "");
  assert.deepEqual(entries[2].record?.nationalId, {
    value: "17814734625",
    column: "Kundenr",
  });
});
