import assert from "node:assert/strict";
import { formatFromName, readMembers } from "./read_members.ts";
import { InputError } from "./problem.ts";
import type { MemberRecord } from "./member.ts";
import { bytesStream, collect, fixture, textStream } from "./_test_helpers.ts";

async function records(
  input: Awaited<ReturnType<typeof readMembers>>,
): Promise<MemberRecord[]> {
  const entries = await collect(input.entries);
  assert.deepEqual(entries.filter((e) => e.problem), []);
  return entries.map((e) => e.record!);
}

Deno.test("readMembers() reads the sample export: 43 records on lines 2-44", async () => {
  const input = await readMembers({ path: fixture("medlemmer-eksport.csv") });
  assert.equal(input.format, "csv");
  assert.equal(input.encoding, "utf-8");
  assert.equal(input.transcoded, false);
  assert.equal(input.delimiter, ";");
  assert.equal(input.columns?.end?.column, "Medlem til");

  const rows = await records(input);
  assert.equal(rows.length, 43);
  assert.deepEqual(
    rows.map((r) => r.row),
    Array.from({ length: 43 }, (_, i) => i + 2),
  );
  assert.equal(rows[36].nationalId?.value.length, 10); // line 38
  assert.equal(rows[38].end?.value, ""); // line 40
  // Line 42 is padded; the cell is trimmed.
  assert.equal(rows[40].nationalId?.value, rows[7].nationalId?.value);
});

Deno.test("readMembers() reads a comma file with a quoted multi-line field", async () => {
  const input = await readMembers({ path: fixture("input/members-comma.csv") });
  assert.equal(input.delimiter, ",");
  const rows = await records(input);
  assert.deepEqual(rows.map((r) => r.row), [2, 3, 5]);
  assert.equal(rows[1].organizationNumber?.value, "974 760 673");
  assert.equal(rows[1].start?.value, "2026-01-01T00:00:00");
});

Deno.test("readMembers() reads a tab file", async () => {
  const input = await readMembers({ path: fixture("input/members-tab.tsv") });
  assert.equal(input.format, "csv");
  assert.equal(input.delimiter, "\t");
  const rows = await records(input);
  assert.deepEqual(rows.map((r) => r.row), [2, 4]);
  assert.equal(rows[1].end?.value, "31/12/2026");
});

Deno.test("readMembers() reads a sep=; file with CRLF and counts file lines", async () => {
  const input = await readMembers({ path: fixture("input/members-sep.csv") });
  assert.equal(input.delimiter, ";");
  const rows = await records(input);
  assert.deepEqual(rows.map((r) => r.row), [3, 5, 7]);
  assert.deepEqual(rows[0].end, { value: "31.12.2026", column: "Til dato" });
});

Deno.test("readMembers() reads a Windows-1252 export and says so", async () => {
  const text = "Fødselsnummer;Etternavn;Orgnr;Medlem fra;Medlem til\r\n" +
    "23907640450;Øvrebø;948554062;01.01.2026;31.12.2026\r\n" +
    "17814734625;Bjørnæs;948554062;01.01.2026;31.12.2026\r\n";
  const bytes = Uint8Array.from(text, (c) => {
    const code = { "ø": 0xf8, "Ø": 0xd8, "æ": 0xe6 }[c] ?? c.charCodeAt(0);
    assert.ok(code < 0x100);
    return code;
  });
  const input = await readMembers({
    stream: bytesStream(bytes, 16),
    name: "eksport.csv",
  });
  assert.equal(input.encoding, "windows-1252");
  assert.equal(input.transcoded, true);
  assert.deepEqual(input.columns?.nationalId, {
    index: 0,
    column: "Fødselsnummer",
  });
  const rows = await records(input);
  assert.equal(rows.length, 2);
  assert.equal(rows[1].row, 3);
});

Deno.test("readMembers() reads JSON and NDJSON fixtures", async () => {
  const json = await readMembers({ path: fixture("input/members.json") });
  assert.equal(json.format, "json");
  const jsonEntries = await collect(json.entries);
  assert.deepEqual(jsonEntries.map((e) => e.record?.row ?? -e.problem!.row), [
    1,
    2,
    -3,
  ]);

  const ndjson = await readMembers({ path: fixture("input/members.ndjson") });
  assert.equal(ndjson.format, "ndjson");
  const ndEntries = await collect(ndjson.entries);
  assert.deepEqual(ndEntries.map((e) => e.record?.row ?? -e.problem!.row), [
    1,
    -3,
    4,
  ]);
});

Deno.test("readMembers() sniffs the format when the name does not tell", async () => {
  const ndjson = '{"fnr":"23907640450"}\n{"fnr":"17814734625"}\n';
  const a = await readMembers({ stream: textStream(ndjson), name: "upload" });
  assert.equal(a.format, "ndjson");
  assert.equal((await collect(a.entries)).length, 2);

  const wrapped = '{\n  "members": [ { "fnr": "23907640450" } ]\n}\n';
  const b = await readMembers({ stream: textStream(wrapped), name: "upload" });
  assert.equal(b.format, "json");

  const oneLine = '{"members":[{"fnr":"23907640450"}]}';
  const c = await readMembers({ stream: textStream(oneLine), name: "upload" });
  assert.equal(c.format, "json");

  const csv =
    "fnr;orgnr;fra;til\n23907640450;948554062;01.01.2026;31.12.2026\n";
  const d = await readMembers({ stream: textStream(csv), name: "upload" });
  assert.equal(d.format, "csv");
  assert.equal((await collect(d.entries)).length, 1);
});

Deno.test("readMembers() applies header alias overrides", async () => {
  const csv =
    "Kundenr;Org;Fra;Til\n23907640450;948554062;01.01.2026;31.12.2026\n";
  const input = await readMembers(
    { stream: textStream(csv), name: "x.csv" },
    { headerAliases: { nationalId: ["Kundenr"], organizationNumber: ["Org"] } },
  );
  const [row] = await records(input);
  assert.equal(row.nationalId?.column, "Kundenr");
  assert.equal(row.organizationNumber?.value, "948554062");
});

Deno.test("readMembers() throws missing-column, unless the end column is optional", async () => {
  const csv = "Fnr;Orgnr;Fra\n23907640450;948554062;01.01.2026\n";
  await assert.rejects(
    readMembers({ stream: textStream(csv), name: "x.csv" }),
    (error) =>
      error instanceof InputError && error.code === "missing-column" &&
      /\bend\b/.test(error.message),
  );
  const input = await readMembers({ stream: textStream(csv), name: "x.csv" }, {
    endColumnOptional: true,
  });
  const [row] = await records(input);
  assert.equal(row.end, undefined);
});

Deno.test("readMembers() reports a missing file as an InputError", async () => {
  await assert.rejects(
    readMembers({ path: fixture("input/no-such-file.csv") }),
    (error) => error instanceof InputError && error.code === "unreadable",
  );
});

Deno.test("formatFromName() maps extensions", () => {
  assert.equal(formatFromName("a/B.CSV"), "csv");
  assert.equal(formatFromName("a.txt"), "csv");
  assert.equal(formatFromName("a.tsv"), "csv");
  assert.equal(formatFromName("a.json"), "json");
  assert.equal(formatFromName("a.jsonl"), "ndjson");
  assert.equal(formatFromName("a.ndjson"), "ndjson");
  assert.equal(formatFromName("export"), undefined);
});

Deno.test("readMembers() closes the file when the header is refused", async () => {
  // The resource sanitizer fails this test if the file is left open.
  await assert.rejects(
    readMembers({ path: fixture("input/members.json") }, { format: "csv" }),
    (error) => error instanceof InputError && error.code === "missing-column",
  );
});
