import assert from "node:assert/strict";
import { isUtf8Prefix, toUtf8Stream } from "./encoding.ts";
import { InputError } from "./problem.ts";
import { bytesStream, streamText, textStream } from "./_test_helpers.ts";

const source = "test.csv";

Deno.test("toUtf8Stream() reads a UTF-8 BOM file as UTF-8 and drops the BOM", async () => {
  const bytes = new Uint8Array([
    0xef,
    0xbb,
    0xbf,
    ...new TextEncoder().encode("Fødselsnummer;Åse\n"),
  ]);
  const result = await toUtf8Stream(bytesStream(bytes, 2), { source });
  assert.equal(result.encoding, "utf-8");
  assert.equal(result.bom, true);
  assert.equal(result.transcoded, false);
  assert.equal(await streamText(result.stream), "Fødselsnummer;Åse\n");
});

Deno.test("toUtf8Stream() reads UTF-8 without BOM, even with a character cut between chunks", async () => {
  const result = await toUtf8Stream(textStream("æøå;ÆØÅ\n", 1), { source });
  assert.equal(result.encoding, "utf-8");
  assert.equal(result.bom, false);
  assert.equal(await streamText(result.stream), "æøå;ÆØÅ\n");
});

Deno.test("toUtf8Stream() reads Windows-1252 bytes as Windows-1252 and says so", async () => {
  // "Bjørn;Æse;Håkon;€" as Excel on Norwegian Windows writes it.
  const bytes = new Uint8Array([
    0x42,
    0x6a,
    0xf8,
    0x72,
    0x6e,
    0x3b,
    0xc6,
    0x73,
    0x65,
    0x3b,
    0x48,
    0xe5,
    0x6b,
    0x6f,
    0x6e,
    0x3b,
    0x80,
    0x0a,
  ]);
  const result = await toUtf8Stream(bytesStream(bytes, 4), { source });
  assert.equal(result.encoding, "windows-1252");
  assert.equal(result.transcoded, true);
  assert.equal(await streamText(result.stream), "Bjørn;Æse;Håkon;€\n");
});

Deno.test("toUtf8Stream() reads UTF-16LE with a BOM (Excel Unicode text)", async () => {
  const text = "fnr\torgnr\nØ\t1\n";
  const bytes = new Uint8Array(2 + text.length * 2);
  bytes.set([0xff, 0xfe]);
  for (let i = 0; i < text.length; i++) {
    bytes[2 + i * 2] = text.charCodeAt(i) & 0xff;
    bytes[3 + i * 2] = text.charCodeAt(i) >> 8;
  }
  const result = await toUtf8Stream(bytesStream(bytes, 3), { source });
  assert.equal(result.encoding, "utf-16le");
  assert.equal(result.transcoded, true);
  assert.equal(await streamText(result.stream), text);
});

Deno.test("toUtf8Stream() names the line of a bad byte after a UTF-8 prefix", async () => {
  const head = new TextEncoder().encode("a;b\nø;1\nok;2\n");
  const bytes = new Uint8Array([...head, 0x42, 0xf8, 0x0a]); // "Bø" in 1252
  const result = await toUtf8Stream(bytesStream(bytes, 5), {
    source,
    sniffBytes: 8,
  });
  assert.equal(result.encoding, "utf-8");
  await assert.rejects(streamText(result.stream), (error) => {
    assert.ok(error instanceof InputError);
    assert.equal(error.code, "encoding");
    assert.equal(error.line, 4);
    assert.match(error.message, /line 4 is not valid UTF-8/);
    return true;
  });
});

Deno.test("toUtf8Stream() honours a forced encoding", async () => {
  const result = await toUtf8Stream(textStream("abc"), {
    source,
    encoding: "windows-1252",
  });
  assert.equal(result.encoding, "windows-1252");
  assert.equal(await streamText(result.stream), "abc");
});

Deno.test("toUtf8Stream() reads an empty file", async () => {
  const result = await toUtf8Stream(bytesStream(new Uint8Array(0)), { source });
  assert.equal(result.encoding, "utf-8");
  assert.equal(await streamText(result.stream), "");
});

Deno.test("toUtf8Stream() refuses a silly sniffBytes", async () => {
  await assert.rejects(
    toUtf8Stream(textStream("a"), { source, sniffBytes: 0 }),
    RangeError,
  );
});

Deno.test("isUtf8Prefix() allows a cut character only when more follows", () => {
  const cut = new Uint8Array([0x61, 0xc3]);
  assert.equal(isUtf8Prefix(cut, false), true);
  assert.equal(isUtf8Prefix(cut, true), false);
  assert.equal(isUtf8Prefix(new Uint8Array([0x61, 0xf8, 0x62]), false), false);
});

Deno.test("toUtf8Stream() reads UTF-16 without a BOM and refuses binary files", async () => {
  const text = "Fødselsnummer;Medlem fra\r\n";
  const le = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) le[i * 2] = text.charCodeAt(i);
  const result = await toUtf8Stream(bytesStream(le), { source: "le.csv" });
  assert.equal(result.encoding, "utf-16le");
  assert.equal(await new Response(result.stream).text(), text);

  const binary = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0x08, 0, 1, 2]);
  await assert.rejects(
    () => toUtf8Stream(bytesStream(binary), { source: "x.zip" }),
    /not a text file/,
  );
});

Deno.test("toUtf8Stream() checks a character cut between chunks with the next chunk, at every cut", async () => {
  const text = "ab\nø€𝄞\n" + "x".repeat(20) + "\n";
  const bytes = new TextEncoder().encode(text);
  for (let size = 1; size <= 12; size++) {
    const good = await toUtf8Stream(bytesStream(bytes, size), {
      source,
      sniffBytes: 4,
    });
    assert.equal(await streamText(good.stream), text, `chunks of ${size}`);

    // A bad lead byte, a bad second byte, and a file that ends inside a
    // character: each on line 3.
    const bad = [[0xf8, 0x41], [0xe2, 0x41], [0xe2, 0x82]];
    for (const tail of bad) {
      const result = await toUtf8Stream(
        bytesStream(new Uint8Array([...bytes.subarray(0, 13), ...tail]), size),
        { source, sniffBytes: 4 },
      );
      await assert.rejects(streamText(result.stream), (error) => {
        assert.ok(error instanceof InputError);
        assert.equal(error.code, "encoding");
        assert.equal(error.line, 3, `${tail} in chunks of ${size}`);
        return true;
      });
    }
  }
});
