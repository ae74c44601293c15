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
  MEMBER_FIELDS,
  type MemberField,
  resolveColumns,
} from "./headers.ts";
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
  /** The member rows, in file order. Read them once. */
  records: AsyncGenerator<MemberRecord>;
}

interface ParsedRecord {
  record: string[];
  info: { lines: number };
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

  const reader = new RecordReader(peeked.stream, delimiter);
  const lines = { lastEnd: 0 };

  // The header: the first record that is not blank and not the `sep=` line.
  let header: ParsedRecord | undefined;
  let headerLine = 0;
  try {
    while (!header) {
      const next = await readRecord(reader, source, lines);
      if (!next) break;
      const line = firstLine(next);
      if (found.sep !== undefined && line === found.sepLine) continue;
      if (isBlank(next.record)) continue;
      header = next;
      headerLine = line;
    }
  } catch (error) {
    await reader.cancel();
    throw error;
  }
  if (!header) {
    await reader.cancel();
    throw new InputError("empty", `${source}: the file has no header line`, {
      source,
    });
  }

  let columns: ColumnMap;
  try {
    columns = resolveColumns(header.record.map((c) => c.trim()), {
      source,
      line: headerLine,
      headerAliases,
      optional: optionalFields,
    });
  } catch (error) {
    await reader.cancel();
    throw error;
  }

  return {
    delimiter,
    headerLine,
    columns,
    records: records(reader, columns, source, lines),
  };
}

async function* records(
  reader: RecordReader,
  columns: ColumnMap,
  source: string,
  lines: { lastEnd: number },
): AsyncGenerator<MemberRecord> {
  let finished = false;
  try {
    while (true) {
      const next = await readRecord(reader, source, lines);
      if (!next) {
        finished = true;
        return;
      }
      if (isBlank(next.record)) continue;

      const member: MemberRecord = { row: firstLine(next) };
      for (const field of MEMBER_FIELDS) {
        const at = columns[field];
        if (!at) continue;
        const cell: Cell = {
          value: (next.record[at.index] ?? "").trim(),
          column: at.column,
        };
        member[field] = cell;
      }
      yield member;
    }
  } finally {
    // Stop reading the file when the caller stops early.
    if (!finished) await reader.cancel().catch(() => {});
  }
}

/** Read one record, turning a parser failure into an InputError with a line. */
async function readRecord(
  reader: RecordReader,
  source: string,
  lines: { lastEnd: number },
): Promise<ParsedRecord | undefined> {
  try {
    const next = await reader.read();
    if (next === undefined) return undefined;
    lines.lastEnd = next.info.lines;
    return next;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw csvError(error, source, lines.lastEnd + 1);
  }
}

/**
 * The line a record starts on. `info.lines` is the line it ends on (line
 * breaks are LF by now, see normalizeLineBreaks); each line break inside a
 * quoted field moves the start one line up.
 */
function firstLine(parsed: ParsedRecord): number {
  let breaks = 0;
  for (const cell of parsed.record) {
    for (let i = cell.indexOf("\n"); i !== -1; i = cell.indexOf("\n", i + 1)) {
      breaks++;
    }
  }
  return parsed.info.lines - breaks;
}

function isBlank(cells: readonly string[]): boolean {
  return cells.every((cell) => cell.trim() === "");
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
    return { header: lines[i], sep, sepLine };
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

/**
 * Records from a byte stream, parsed by csv-parse's core one chunk at a time.
 *
 * A chunk is read from the file only when no parsed record is waiting, and
 * the parser is drained synchronously after each write, so memory holds one
 * chunk's records and there is no promise per record in between. (csv-parse's
 * web-stream wrapper queues up to 1024 chunks when its reader is slow, and
 * costs about twice the time per record; measured in docs/performance.md.)
 */
class RecordReader {
  readonly #source: ReadableStreamDefaultReader<Uint8Array>;
  readonly #parser: Parser;
  readonly #normalize = lineBreakNormalizer();
  #queued: ParsedRecord[] = [];
  #next = 0;
  #error: unknown;
  #ended = false;

  constructor(input: ReadableStream<Uint8Array>, delimiter: CsvDelimiter) {
    this.#source = input.getReader();
    this.#parser = new Parser({
      bom: true,
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    });
    this.#parser.on("error", (error: unknown) => this.#error ??= error);
  }

  /** The next record, or undefined at the end; throws the parser's error. */
  async read(): Promise<ParsedRecord | undefined> {
    while (this.#next >= this.#queued.length) {
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return undefined;
      this.#queued = [];
      this.#next = 0;
      const chunk = await this.#source.read();
      if (chunk.done) {
        this.#ended = true;
        await this.#finish();
      } else {
        this.#parser.write(this.#normalize(chunk.value));
      }
      this.#drain();
    }
    return this.#queued[this.#next++];
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
    this.#parser.destroy();
    await this.#source.cancel().catch(() => {});
  }

  #drain(): void {
    for (
      let record = this.#parser.read();
      record !== null;
      record = this.#parser.read()
    ) {
      this.#queued.push(record as ParsedRecord);
    }
    if (this.#error !== undefined && this.#next >= this.#queued.length) {
      throw this.#error;
    }
  }
}
