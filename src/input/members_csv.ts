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

import { parse } from "csv-parse/stream";
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

  const parsed = pullThrough(
    peeked.stream.pipeThrough(normalizeLineBreaks()),
    parse({
      bom: true,
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    }) as TransformStream<Uint8Array, ParsedRecord>,
  );
  const reader = parsed.getReader();
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
    reader.releaseLock();
    await parsed.cancel().catch(() => {});
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
  reader: ReadableStreamDefaultReader<ParsedRecord>,
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
  reader: ReadableStreamDefaultReader<ParsedRecord>,
  source: string,
  lines: { lastEnd: number },
): Promise<ParsedRecord | undefined> {
  try {
    const next = await reader.read();
    if (next.done) return undefined;
    lines.lastEnd = next.value.info.lines;
    return next.value;
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
 * Turn CRLF and lone CR into LF, so the parser counts one line per break
 * (csv-parse counts a CRLF inside a quoted field as two lines).
 */
function normalizeLineBreaks(): TransformStream<Uint8Array, Uint8Array> {
  let afterCr = false;
  return new TransformStream({
    transform(chunk, controller) {
      if (!afterCr && chunk.indexOf(0x0d) === -1) {
        controller.enqueue(chunk);
        return;
      }
      const out = new Uint8Array(chunk.length);
      let n = 0;
      for (const byte of chunk) {
        if (byte === 0x0d) {
          out[n++] = 0x0a;
          afterCr = true;
          continue;
        }
        if (!(byte === 0x0a && afterCr)) out[n++] = byte;
        afterCr = false;
      }
      controller.enqueue(out.subarray(0, n));
    },
  });
}

/**
 * Run `input` through `transform`, feeding it only when a record is wanted.
 *
 * `pipeThrough` would do, but csv-parse's stream queues up to 1024 chunks on
 * its writable side, so a slow consumer (a sync waiting on Helsenorge) would
 * let the whole file be read into memory. Here a chunk is written only while
 * a read is waiting and nothing is queued.
 */
function pullThrough<I, O>(
  input: ReadableStream<I>,
  transform: TransformStream<I, O>,
): ReadableStream<O> {
  const source = input.getReader();
  const writer = transform.writable.getWriter();
  const output = transform.readable.getReader();
  const FEED = Symbol("feed");
  let ended = false;

  return new ReadableStream<O>({
    async pull(controller) {
      const next = output.read();
      while (true) {
        // A settled `next` wins the race, since its reaction is queued first.
        const winner = ended ? await next : await Promise.race([next, FEED]);
        if (winner !== FEED) {
          const result = winner as ReadableStreamReadResult<O>;
          if (result.done) controller.close();
          else controller.enqueue(result.value);
          return;
        }

        let chunk: ReadableStreamReadResult<I>;
        try {
          chunk = await source.read();
        } catch (error) {
          await writer.abort(error).catch(() => {});
          throw error;
        }
        try {
          if (chunk.done) {
            ended = true;
            await writer.close();
          } else {
            await writer.write(chunk.value);
          }
        } catch {
          // The parser failed; `next` rejects with its error.
          ended = true;
        }
      }
    },
    async cancel(reason) {
      await Promise.allSettled([
        source.cancel(reason),
        writer.abort(reason),
        output.cancel(reason),
      ]);
    },
  }, { highWaterMark: 0 });
}
