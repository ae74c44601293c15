import assert from "node:assert/strict";
import { detectDelimiter, readCsvMembers } from "./members_csv.ts";
import { InputError } from "./problem.ts";
import { collect, textStream } from "./_test_helpers.ts";

const source = "test.csv";

Deno.test("readCsvMembers() reports each row's first line when a quoted field spans lines (CRLF)", async () => {
  const text = [
    "Fnr;Navn;Orgnr;Fra;Til",
    '23907640450;"Nordmann;\r\nKari";948554062;01.01.2026;31.12.2026',
    "",
    "17814734625;Ola;948554062;01.01.2026;31.12.2026",
    '21838440581;"a\r\nb\r\nc";974760673;01.01.2026;31.12.2026',
    "01927043714;Lars;948554062;01.01.2026;",
  ].join("\r\n");
  const csv = await readCsvMembers(textStream(text, 5), { source });
  const records = await collect(csv.records);
  assert.deepEqual(records.map((r) => r.row), [2, 5, 6, 9]);
  assert.deepEqual(records[3].end, { value: "", column: "Til" });
});

Deno.test("readCsvMembers() detects comma and reads quoted fields with commas and line breaks", async () => {
  const text = "National id,Name,Organization number,Start,End\n" +
    '23907640450,"Nordmann, Kari\nsecond line",948554062,2026-01-01,2026-12-31\n' +
    "17814734625,Ola,948554062,2026-01-01,2026-12-31\n";
  const csv = await readCsvMembers(textStream(text), { source });
  assert.equal(csv.delimiter, ",");
  const records = await collect(csv.records);
  assert.deepEqual(records.map((r) => r.row), [2, 4]);
  assert.equal(records[0].organizationNumber?.value, "948554062");
  // Names are read past: only the four fields are kept.
  assert.deepEqual(Object.keys(records[0]).sort(), [
    "end",
    "nationalId",
    "organizationNumber",
    "row",
    "start",
  ]);
});

Deno.test("readCsvMembers() detects tab", async () => {
  const text =
    "fnr\torgnr\tfra\ttil\n23907640450\t948554062\t01.01.2026\t31.12.2026\n";
  const csv = await readCsvMembers(textStream(text), { source });
  assert.equal(csv.delimiter, "\t");
  const [record] = await collect(csv.records);
  assert.equal(record.start?.value, "01.01.2026");
});

Deno.test("readCsvMembers() honours an Excel sep= line and still counts file lines", async () => {
  // Without the sep= line the commas in the last header would win.
  const text =
    "sep=;\r\nFnr;Orgnr;Fra;Til;Note,a,b,c,d\r\n23907640450;948554062;01.01.2026;31.12.2026;x\r\n";
  const csv = await readCsvMembers(textStream(text), { source });
  assert.equal(csv.delimiter, ";");
  assert.equal(csv.headerLine, 2);
  const records = await collect(csv.records);
  assert.equal(records.length, 1);
  assert.equal(records[0].row, 3);
  assert.equal(records[0].organizationNumber?.value, "948554062");
});

Deno.test("readCsvMembers() trims cells and skips empty and blank-cell lines", async () => {
  const text =
    "\n Fnr ; Orgnr ;Fra;Til\n 23907640450 ; 948 554 062 ;01.01.2026;31.12.2026\n;;;\n   \n";
  const csv = await readCsvMembers(textStream(text), { source });
  const records = await collect(csv.records);
  assert.equal(records.length, 1);
  assert.equal(csv.headerLine, 2);
  assert.deepEqual(records[0].nationalId, {
    value: "23907640450",
    column: "Fnr",
  });
  assert.equal(records[0].organizationNumber?.value, "948 554 062");
  assert.equal(records[0].row, 3);
});

Deno.test("readCsvMembers() gives an empty cell for a short row", async () => {
  const text = "Fnr;Orgnr;Fra;Til\n23907640450;948554062\n";
  const csv = await readCsvMembers(textStream(text), { source });
  const [record] = await collect(csv.records);
  assert.deepEqual(record.start, { value: "", column: "Fra" });
});

Deno.test("readCsvMembers() reports an unclosed quote with its line, without the row's content", async () => {
  const text =
    'Fnr;Orgnr;Fra;Til\n23907640450;948554062;01.01.2026;31.12.2026\n17814734625;"948554062;01.01.2026;31.12.2026\n21838440581;948554062;01.01.2026;31.12.2026\n';
  const csv = await readCsvMembers(textStream(text), { source });
  const seen: number[] = [];
  await assert.rejects(
    async () => {
      for await (const record of csv.records) seen.push(record.row);
    },
    (error) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.code, "malformed-csv");
      assert.equal(error.line, 3);
      assert.match(error.message, /quote opened on line 3/);
      assert.doesNotMatch(error.message, /17814734625/);
      return true;
    },
  );
  assert.deepEqual(seen, [2]);
});

Deno.test("readCsvMembers() keeps a stray quote inside an unquoted field", async () => {
  const text =
    'Fnr;Navn;Orgnr;Fra;Til\n23907640450;Ola "Junior" N;948554062;01.01.2026;31.12.2026\n';
  const csv = await readCsvMembers(textStream(text), { source });
  assert.equal((await collect(csv.records)).length, 1);
});

Deno.test("readCsvMembers() throws missing-column before any row is read", async () => {
  await assert.rejects(
    readCsvMembers(textStream("Fnr;Navn;Fra;Til\n1;2;3;4\n"), { source }),
    (error) => error instanceof InputError && error.code === "missing-column",
  );
});

Deno.test("readCsvMembers() accepts caller aliases", async () => {
  const text =
    "Kundenr;Orgnr;Fra;Til\n23907640450;948554062;01.01.2026;31.12.2026\n";
  const csv = await readCsvMembers(textStream(text), {
    source,
    headerAliases: { nationalId: ["Kundenr"] },
  });
  const [record] = await collect(csv.records);
  assert.deepEqual(record.nationalId, {
    value: "23907640450",
    column: "Kundenr",
  });
});

Deno.test("readCsvMembers() refuses a file without a header", async () => {
  await assert.rejects(
    readCsvMembers(textStream("\n\n"), { source }),
    (error) => error instanceof InputError && error.code === "empty",
  );
});

Deno.test("readCsvMembers() stops reading when the caller stops early", async () => {
  let pulled = 0;
  const line = "23907640450;948554062;01.01.2026;31.12.2026\n";
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode("Fnr;Orgnr;Fra;Til\n"));
    },
    pull(controller) {
      pulled++;
      if (pulled > 10_000) throw new Error("not streaming");
      controller.enqueue(new TextEncoder().encode(line.repeat(100)));
    },
  }, { highWaterMark: 0 });
  const csv = await readCsvMembers(stream, { source });
  let count = 0;
  for await (const _ of csv.records) {
    if (++count === 150) {
      // Give a greedy pipeline the chance to read ahead.
      await new Promise((resolve) => setTimeout(resolve, 20));
      break;
    }
  }
  assert.equal(count, 150);
  assert.ok(pulled < 10, `pulled ${pulled} chunks`);
});

Deno.test("detectDelimiter() ignores delimiters inside quotes and prefers ; on a tie", () => {
  assert.equal(detectDelimiter('"a,b,c";d;e'), ";");
  assert.equal(detectDelimiter("a,b;c"), ";");
  assert.equal(detectDelimiter("a\tb\tc,d"), "\t");
  assert.equal(detectDelimiter("single"), ";");
});

Deno.test("readCsvMembers() counts lines across the parser's pieces, with quoted line breaks and blank lines", async () => {
  // Large enough to be parsed in several pieces, with rows that span lines
  // and blank lines between them, read in file-sized chunks.
  const lines = ["Fnr;Navn;Orgnr;Fra;Til"];
  const expected: number[] = [];
  let line = 1;
  const add = (text: string) => {
    lines.push(text);
    line += text.split("\r\n").length;
  };
  for (let i = 0; i < 600; i++) {
    if (i % 7 === 3) add("");
    if (i % 11 === 5) add(";;;;");
    expected.push(line + 1);
    const name = i % 5 === 0 ? `"Nordmann\r\nKari ${i}"` : `Kari ${i}`;
    add(`${10_000_000_000 + i};${name};948554062;01.01.2026;31.12.2026`);
  }
  const text = lines.join("\r\n") + "\r\n";
  assert.ok(text.length > 20_000);
  for (const chunkSize of [7, 4096, 65536]) {
    const csv = await readCsvMembers(textStream(text, chunkSize), { source });
    const records = await collect(csv.records);
    assert.deepEqual(records.map((r) => r.row), expected, `${chunkSize}`);
    assert.deepEqual(
      records.map((r) => r.nationalId?.value),
      expected.map((_, i) => String(10_000_000_000 + i)),
    );
  }
});

Deno.test("readCsvMembers() hands the rows over a run at a time too", async () => {
  const rows = Array.from(
    { length: 300 },
    (_, i) => `${10_000_000_000 + i};948554062;01.01.2026;31.12.2026`,
  );
  const text = ["Fnr;Orgnr;Fra;Til", ...rows].join("\n");
  const csv = await readCsvMembers(textStream(text, 1000), { source });
  const runs = await collect(csv.records.runs());
  assert.ok(runs.length > 1, `${runs.length} runs`);
  assert.ok(runs.every((run) => run.length > 0));
  assert.deepEqual(
    runs.flat().map((r) => r.row),
    rows.map((_, i) => i + 2),
  );
});

Deno.test("readCsvMembers() names the line after the last record read when a quote is never closed", async () => {
  // Blank lines are not records; a line of one quoted empty cell is.
  const cases: [string, number][] = [
    ['\n\n"unclosed\n1;2;3;4\n', 1],
    ['sep=;\n\nFnr;Orgnr;Fra;Til\n""\n\n"unclosed\n', 5],
    ['Fnr;Orgnr;Fra;Til\n1;2;3;4\n\n   \n"unclosed\n', 3],
  ];
  for (const [text, line] of cases) {
    await assert.rejects(
      async () => {
        const csv = await readCsvMembers(textStream(text), { source });
        await collect(csv.records);
      },
      (error) => {
        assert.ok(error instanceof InputError);
        assert.equal(error.code, "malformed-csv");
        assert.equal(error.line, line, JSON.stringify(text));
        return true;
      },
    );
  }
});

Deno.test("readCsvMembers() gives the rows before a row it cannot read, then the error", async () => {
  const good = (i: number) =>
    `${10_000_000_000 + i};948554062;01.01.2026;31.12.2026`;
  const rows = Array.from({ length: 150 }, (_, i) => good(i));
  rows[120] = '"10000000120" x;948554062;01.01.2026;31.12.2026';
  const text = ["Fnr;Orgnr;Fra;Til", ...rows].join("\n") + "\n";
  for (const chunkSize of [7, 65536]) {
    const csv = await readCsvMembers(textStream(text, chunkSize), { source });
    const seen: number[] = [];
    await assert.rejects(
      async () => {
        for await (const record of csv.records) seen.push(record.row);
      },
      (error) => {
        assert.ok(error instanceof InputError);
        assert.equal(error.code, "malformed-csv");
        assert.equal(error.line, 122);
        assert.match(
          error.message,
          /CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE/,
        );
        return true;
      },
    );
    assert.deepEqual(seen, rows.slice(0, 120).map((_, i) => i + 2));
  }
});
