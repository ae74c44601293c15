/**
 * Member exports as CSV, read as a stream with `csv-parse`.
 *
 * - Delimiter: `;`, `,` or tab, whichever occurs most often (outside quotes)
 *   in the header line; `;` wins a tie, as Norwegian Excel writes it. An
 *   Excel `sep=;` first line names it instead, and is then skipped: the
 *   header is line 2 and row numbers still count the file's lines.
 * - Quoted fields may hold delimiters, quotes (`""`) and line breaks. A stray
 *   quote inside an unquoted field is kept as text (`relax_quotes`).
 * - Line breaks may be CRLF, LF or CR. Empty lines, and lines whose every
 *   cell is blank (`;;;;`), are skipped but counted.
 * - Cells are trimmed. Columns that are not member fields (names, phones)
 *   are read past and never leave this module.
 * - A record's `row` is the line its first physical line is on, the header
 *   being line 1 (or 2 after `sep=`).
 *
 * Malformed CSV that cannot be read past (a quote never closed) throws an
 * {@linkcode InputError} with code "malformed-csv" and the line, while the
 * records are being iterated.
 *
 * @module
 */

import { Parser } from "csv-parse";
import {
  type ColumnMap,
  type HeaderAliases,
  type MemberField,
  resolveColumns,
} from "./headers.ts";
import { type Batched, batched } from "../batches/batched.ts";
import type { Cell, MemberRecord } from "./member.ts";
import { InputError } from "./problem.ts";
import { peek } from "./_stream.ts";

/** The delimiters a member export may use. */
export type CsvDelimiter = ";" | "," | "\t";

/** Options for {@linkcode readCsvMembers}. */
export interface CsvMembersOptions {
  /** The file as the caller names it, for error messages. */
  source: string;
  /** Extra column names per field, tried before the built-in ones. */
  headerAliases?: HeaderAliases;
  /** Fields whose column may be absent. @default [] */
  optionalFields?: readonly MemberField[];
  /** Use this delimiter instead of detecting it. */
  delimiter?: CsvDelimiter;
  /**
   * The most bytes read while looking for the header line.
   * @default 1048576
   */
  maxHeaderBytes?: number;
}

/** A CSV export whose header has been read. */
export interface CsvMembers {
  delimiter: CsvDelimiter;
  /** The header's line number: 1, or 2 after a `sep=` line. */
  headerLine: number;
  /** Where each member field was found. */
  columns: ColumnMap;
  /**
   * The member rows, in file order, item by item or a chunk's rows at a
   * time (`runs()`). Read them once.
   */
  records: Batched<MemberRecord>;
}

/**
 * Read the header of a CSV member export (UTF-8 bytes, as given by
 * `toUtf8Stream`) and return its rows as a stream of records.
 *
 * Throws {@linkcode InputError} "empty" for a file without a header line,
 * "missing-column" or "ambiguous-column" for a header that lacks a field.
 *
 * @example
 * ```ts
 * const csv = await readCsvMembers(stream, { source: "medlemmer.csv" });
 * for await (const record of csv.records) console.log(record.row);
 * ```
 */
export async function readCsvMembers(
  input: ReadableStream<Uint8Array>,
  options: CsvMembersOptions,
): Promise<CsvMembers> {
  const {
    source,
    headerAliases,
    optionalFields = [],
    maxHeaderBytes = 1 << 20,
  } = options;

  const peeked = await peek(
    input,
    (head) => findHeaderLine(head, false) !== undefined,
    maxHeaderBytes,
  );
  const found = findHeaderLine(peeked.head, peeked.done);
  if (!found) {
    await peeked.stream.cancel();
    const reason = peeked.done
      ? "the file has no header line"
      : `no header line within the first ${maxHeaderBytes} bytes`;
    throw new InputError("empty", `${source}: ${reason}`, { source });
  }
  const delimiter = options.delimiter ?? found.sep ??
    detectDelimiter(found.header);

  // Lines before the header (blank ones, a `sep=` line) are not rows: the
  // parser starts at the header, which also makes the header's length the
  // one csv-parse expects of every row.
  const rows = new RowReader(
    new RecordReader(peeked.stream, delimiter, found.line),
    source,
    found.sepLine ?? 0,
  );

  // The header: the first record that is not blank.
  let header: string[] | undefined;
  let headerLine = 0;
  try {
    const run = await rows.read();
    if (run) {
      header = run.cells[run.next];
      headerLine = run.lines[run.next];
      run.next++;
      rows.putBack(run);
    }
  } catch (error) {
    await rows.cancel();
    throw error;
  }
  if (!header) {
    await rows.cancel();
    throw new InputError("empty", `${source}: the file has no header line`, {
      source,
    });
  }

  let columns: ColumnMap;
  try {
    columns = resolveColumns(header.map((c) => c.trim()), {
      source,
      line: headerLine,
      headerAliases,
      optional: optionalFields,
    });
  } catch (error) {
    await rows.cancel();
    throw error;
  }

  return {
    delimiter,
    headerLine,
    columns,
    records: batched(records(rows, columns)),
  };
}

async function* records(
  rows: RowReader,
  columns: ColumnMap,
): AsyncGenerator<MemberRecord[]> {
  const toRecord = recordMaker(columns);
  let finished = false;
  try {
    while (true) {
      const run = await rows.read();
      if (!run) {
        finished = true;
        return;
      }
      const out: MemberRecord[] = [];
      for (let i = run.next; i < run.cells.length; i++) {
        out.push(toRecord(run.cells[i], run.lines[i]));
      }
      yield out;
    }
  } finally {
    // Stop reading the file when the caller stops early.
    if (!finished) await rows.cancel().catch(() => {});
  }
}

/**
 * Makes a row's record: its member fields, each with its column, and no
 * property for a field the file has no column for.
 */
function recordMaker(
  columns: ColumnMap,
): (cells: readonly string[], row: number) => MemberRecord {
  const { nationalId, organizationNumber, start, end } = columns;
  const cell = (
    cells: readonly string[],
    at: { index: number; column: string },
  ): Cell => ({ value: (cells[at.index] ?? "").trim(), column: at.column });
  return (cells, row) => {
    const record: MemberRecord = { row };
    if (nationalId) record.nationalId = cell(cells, nationalId);
    if (organizationNumber) {
      record.organizationNumber = cell(cells, organizationNumber);
    }
    if (start) record.start = cell(cells, start);
    if (end) record.end = cell(cells, end);
    return record;
  };
}

/** Rows that are not blank, and the line each starts on. */
interface RowRun {
  cells: string[][];
  lines: number[];
  /** The first row not yet taken. */
  next: number;
}

/** The parser's records with the line each starts on, blank ones left out. */
class RowReader {
  readonly #reader: RecordReader;
  readonly #source: string;
  /**
   * The line the last record ended on: a quote left open is reported as
   * opened on the line after it, or later.
   */
  #lastEnd: number;
  #putBack: RowRun | undefined;

  /** `lastEnd`: the line a record before the first ended on (0 if none). */
  constructor(reader: RecordReader, source: string, lastEnd: number) {
    this.#reader = reader;
    this.#source = source;
    this.#lastEnd = lastEnd;
  }

  /** The next rows that are not blank, or undefined at the end. */
  async read(): Promise<RowRun | undefined> {
    const kept = this.#putBack;
    this.#putBack = undefined;
    if (kept && kept.next < kept.cells.length) return kept;
    while (true) {
      let parsed: ParsedRun | undefined;
      try {
        parsed = await this.#reader.read();
      } catch (error) {
        if (error instanceof InputError) throw error;
        throw csvError(error, this.#source, this.#lastEnd + 1);
      }
      if (!parsed) return undefined;
      const run: RowRun = { cells: [], lines: [], next: 0 };
      const { records, ends } = parsed;
      for (let i = 0; i < records.length; i++) {
        const cells = records[i];
        const end = ends[i];
        // A record ending on the line after the last one ended is on one line.
        const single = end === this.#lastEnd + 1;
        this.#lastEnd = end;
        if (isBlank(cells)) continue;
        run.cells.push(cells);
        run.lines.push(single ? end : firstLine(cells, end));
      }
      if (run.cells.length > 0) return run;
    }
  }

  /** Give back a run whose rows were not all taken; `read` returns it next. */
  putBack(run: RowRun): void {
    this.#putBack = run;
  }

  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}

/**
 * The line a record starts on, from the line it ends on: each line break
 * inside a quoted field moves the start one line up (line breaks are LF by
 * now, see lineBreakNormalizer).
 */
function firstLine(cells: readonly string[], end: number): number {
  let breaks = 0;
  for (const cell of cells) {
    for (let i = cell.indexOf("\n"); i !== -1; i = cell.indexOf("\n", i + 1)) {
      breaks++;
    }
  }
  return end - breaks;
}

function isBlank(cells: readonly string[]): boolean {
  for (const cell of cells) if (cell.trim() !== "") return false;
  return true;
}

/**
 * The parser's own message may quote the record, which can hold a national
 * id, so only its error code is kept.
 */
function csvError(error: unknown, source: string, line: number): InputError {
  const code = (error as { code?: unknown })?.code;
  const reason = code === "CSV_QUOTE_NOT_CLOSED"
    ? `a quote opened on line ${line} or later is never closed`
    : code === "CSV_INVALID_CLOSING_QUOTE"
    ? `a quoted field on line ${line} or later has text after its closing quote`
    : `line ${line} or later cannot be read as CSV (${
      String(code ?? "unknown error")
    })`;
  return new InputError("malformed-csv", `${source}: ${reason}`, {
    source,
    line,
  });
}

interface HeaderLine {
  header: string;
  /** The header's line number. */
  line: number;
  sep?: CsvDelimiter;
  sepLine?: number;
}

/**
 * Find the header line in the start of a file: the first line that is not
 * empty and not an Excel `sep=` line. Undefined until that line is complete
 * (ends with a line break, or the input is `complete`).
 */
function findHeaderLine(
  head: Uint8Array,
  complete: boolean,
): HeaderLine | undefined {
  const text = new TextDecoder().decode(head).replace(/^\uFEFF/, "");
  const lines = text.split(/\r\n|\n|\r/);
  // The last piece is cut off unless the input ended.
  const usable = complete ? lines.length : lines.length - 1;
  let sep: CsvDelimiter | undefined;
  let sepLine: number | undefined;

  for (let i = 0; i < usable; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const match = /^sep=(.)$/i.exec(lines[i].trimStart());
    if (sep === undefined && match && isDelimiter(match[1])) {
      sep = match[1];
      sepLine = i + 1;
      continue;
    }
    return { header: lines[i], line: i + 1, sep, sepLine };
  }
  return undefined;
}

function isDelimiter(char: string): char is CsvDelimiter {
  return char === ";" || char === "," || char === "\t";
}

/**
 * Pick the delimiter that occurs most often outside quotes in the header.
 * On a tie (or none at all) `;` comes first, then tab, then `,`.
 */
export function detectDelimiter(header: string): CsvDelimiter {
  const counts = { ";": 0, "\t": 0, ",": 0 };
  let quoted = false;
  for (const char of header) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && isDelimiter(char)) counts[char]++;
  }
  let best: CsvDelimiter = ";";
  for (const candidate of ["\t", ","] as const) {
    if (counts[candidate] > counts[best]) best = candidate;
  }
  return best;
}

/**
 * Turn CRLF and lone CR into LF, chunk by chunk, so the parser counts one
 * line per break (csv-parse counts a CRLF inside a quoted field as two lines).
 */
function lineBreakNormalizer(): (chunk: Uint8Array) => Uint8Array {
  let afterCr = false;
  return (chunk) => {
    if (!afterCr && chunk.indexOf(0x0d) === -1) return chunk;
    const out = new Uint8Array(chunk.length);
    let n = 0;
    let from = 0;
    if (afterCr && chunk[0] === 0x0a) from = 1;
    afterCr = false;
    for (
      let cr = chunk.indexOf(0x0d, from);
      cr !== -1;
      cr = chunk.indexOf(0x0d, from)
    ) {
      out.set(chunk.subarray(from, cr), n);
      n += cr - from;
      out[n++] = 0x0a;
      from = cr + 1;
      if (from === chunk.length) afterCr = true;
      else if (chunk[from] === 0x0a) from++;
    }
    out.set(chunk.subarray(from), n);
    n += chunk.length - from;
    return out.subarray(0, n);
  };
}

/** Records as parsed, each with the line it ends on. */
interface ParsedRun {
  records: string[][];
  ends: number[];
}

/**
 * The input is handed to the parser this many bytes at a time (about 70
 * rows of a typical export), so the rows between two reads are few: fewer
 * objects are alive when the garbage collector runs, and fewer of them live
 * long enough to be moved to the old generation. Measured reading and
 * validating a million rows: young-generation pauses ~290 -> ~120 ms, and 4
 * old-generation collections instead of 52, against whole 64 KiB chunks.
 */
const WRITE_BYTES = 4096;

/**
 * csv-parse's stream parser, noting the line each record ends on as it
 * emits it: the parser's `info` counts lines as it goes, and a record is
 * pushed at the line break that ends it. (The `info` option would copy the
 * whole `info` object into every record instead.)
 */
class LineNotingParser extends Parser {
  /** The end line of each record pushed and not yet taken. */
  ends: number[] = [];

  // deno-lint-ignore no-explicit-any -- Readable.push's own signature
  override push(chunk: any, encoding?: BufferEncoding): boolean {
    if (chunk !== null) this.ends.push(this.info.lines);
    return super.push(chunk, encoding);
  }
}

/**
 * Records from a byte stream, parsed by csv-parse's core a piece at a time.
 *
 * The file is read a chunk at a time, and only when the caller asks for
 * more; the chunk goes to the parser in pieces of {@linkcode WRITE_BYTES},
 * and the parser is drained synchronously after each piece, so memory holds
 * one chunk and a piece's records, and there is no promise per record in
 * between. (csv-parse's web-stream wrapper queues up to 1024 chunks when its
 * reader is slow, and costs about twice the time per record; measured in
 * docs/performance.md.)
 */
class RecordReader {
  readonly #source: ReadableStreamDefaultReader<Uint8Array>;
  readonly #parser: LineNotingParser;
  readonly #normalize = lineBreakNormalizer();
  #error: unknown;
  #ended = false;
  /** The part of the last chunk not yet given to the parser. */
  #pending: Uint8Array = new Uint8Array(0);

  /**
   * Records start at line `fromLine`: the lines before it (blank ones, a
   * `sep=` line) are read past, so the first record, the header, sets the
   * number of cells csv-parse expects. (When it expects another number,
   * csv-parse makes an error object for every row, to keep in `info`.)
   */
  constructor(
    input: ReadableStream<Uint8Array>,
    delimiter: CsvDelimiter,
    fromLine: number,
  ) {
    this.#source = input.getReader();
    this.#parser = new LineNotingParser({
      bom: true,
      delimiter,
      from_line: fromLine,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      trim: true,
    });
    this.#parser.on("error", (error: unknown) => this.#error ??= error);
  }

  /**
   * The records of the next piece that held any, or undefined at the end;
   * throws the parser's error once the records parsed before it have been
   * returned.
   */
  async read(): Promise<ParsedRun | undefined> {
    while (true) {
      if (this.#error !== undefined) throw this.#error;
      if (this.#pending.length > 0) {
        const piece = this.#pending.subarray(0, WRITE_BYTES);
        this.#pending = this.#pending.subarray(piece.length);
        this.#parser.write(piece);
      } else {
        if (this.#ended) return undefined;
        const chunk = await this.#source.read();
        if (!chunk.done) {
          this.#pending = this.#normalize(chunk.value);
          continue;
        }
        this.#ended = true;
        await this.#finish();
      }
      const run = this.#drain();
      if (run.records.length > 0) return run;
    }
  }

  /** End the input; the parser's last records and errors come after this. */
  #finish(): Promise<void> {
    return new Promise((resolve) => {
      this.#parser.once("finish", resolve);
      this.#parser.once("close", resolve);
      this.#parser.once("error", () => resolve());
      this.#parser.end();
    });
  }

  async cancel(): Promise<void> {
    this.#ended = true;
    this.#pending = new Uint8Array(0);
    this.#parser.destroy();
    await this.#source.cancel().catch(() => {});
  }

  #drain(): ParsedRun {
    const records: string[][] = [];
    for (
      let record = this.#parser.read();
      record !== null;
      record = this.#parser.read()
    ) {
      records.push(record as string[]);
    }
    // Records come out in the order they were pushed. (Any not read, after
    // an error, are not read later either.)
    const ends = this.#parser.ends;
    this.#parser.ends = [];
    if (ends.length < records.length) {
      throw new Error(
        `csv-parse pushed ${ends.length} records but ${records.length} were read`,
      );
    }
    ends.length = records.length;
    return { records, ends };
  }
}
