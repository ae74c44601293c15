/**
 * One entry point for member exports: open the file, find its encoding and
 * format, read its header, and hand back the rows as a stream of entries.
 *
 * Format by file extension: `.csv`, `.txt`, `.tsv` are CSV; `.json` is JSON;
 * `.ndjson`, `.jsonl` are NDJSON. Any other name is decided by content: `[`
 * first is JSON; `{` first is NDJSON when the first line is a whole object
 * (and not `{ "members": [...] }`), otherwise JSON; anything else is CSV.
 *
 * File-level failures are thrown as {@linkcode InputError} by `readMembers`
 * itself (file missing, no header, a required column missing, not JSON), or
 * while iterating `entries` when they are found later (a byte that is not
 * UTF-8, a CSV quote never closed). Row-level trouble is yielded in
 * `entries` as `{ problem }`, in file order among the `{ record }` items.
 *
 * @example
 * ```ts
 * const input = await readMembers({ path: "fixtures/medlemmer-eksport.csv" });
 * for await (const entry of input.entries) {
 *   if (entry.problem) report(entry.problem);
 *   else validateMember(entry.record, { allowSynthetic: true });
 * }
 * ```
 *
 * @module
 */

import { type Batched, batched } from "../batches/batched.ts";
import { type TextEncodingName, toUtf8Stream } from "./encoding.ts";
import type { ColumnMap, HeaderAliases } from "./headers.ts";
import type { MemberEntry, MemberRecord } from "./member.ts";
import { type CsvDelimiter, readCsvMembers } from "./members_csv.ts";
import { readJsonMembers, readNdjsonMembers } from "./members_json.ts";
import { InputError } from "./problem.ts";
import { peek } from "./_stream.ts";

/** The formats a member export may come in. */
export type MemberFormat = "csv" | "json" | "ndjson";

/** Where the export comes from: a file, or a byte stream with a name. */
export type MemberSource =
  | { path: string }
  | { stream: ReadableStream<Uint8Array>; name: string };

/** Options for {@linkcode readMembers}. */
export interface ReadMembersOptions {
  /** Extra column names per field, tried before the built-in ones. */
  headerAliases?: HeaderAliases;
  /** Skip format detection. */
  format?: MemberFormat;
  /** Skip encoding detection. */
  encoding?: TextEncodingName;
  /** CSV only: skip delimiter detection. */
  delimiter?: CsvDelimiter;
  /**
   * CSV only: accept a file without an end-date column. Set this when the
   * caller has a default end date; each row then has no `end`.
   * @default false
   */
  endColumnOptional?: boolean;
}

/** A member export, opened and ready to read. */
export interface MemberInput {
  /** The file as named by the caller. */
  source: string;
  format: MemberFormat;
  encoding: TextEncodingName;
  /** The file was not UTF-8 and was converted ("read as Windows-1252"). */
  transcoded: boolean;
  /** CSV only: the delimiter used. */
  delimiter?: CsvDelimiter;
  /** CSV only: the column each field was read from. */
  columns?: ColumnMap;
  /**
   * The rows, in file order: records to validate, or problems. Read once.
   * CSV rows can also be read a chunk's rows at a time: see `runsOf`
   * (src/batches/batched.ts).
   */
  entries: AsyncIterable<MemberEntry>;
}

/** Open a member export and return its entries. See the module docs. */
export async function readMembers(
  from: MemberSource,
  options: ReadMembersOptions = {},
): Promise<MemberInput> {
  const { headerAliases, endColumnOptional = false } = options;
  const source = "path" in from ? from.path : from.name;
  const raw = "path" in from ? await openFile(from.path) : from.stream;

  const utf8 = await toUtf8Stream(raw, { source, encoding: options.encoding });
  const base = {
    source,
    encoding: utf8.encoding,
    transcoded: utf8.transcoded,
  };

  let stream = utf8.stream;
  let format = options.format ?? formatFromName(source);
  if (!format) {
    const sniffed = await sniffFormat(stream);
    format = sniffed.format;
    stream = sniffed.stream;
  }

  if (format === "csv") {
    const csv = await readCsvMembers(stream, {
      source,
      headerAliases,
      delimiter: options.delimiter,
      optionalFields: endColumnOptional ? ["end"] : [],
    });
    return {
      ...base,
      format,
      delimiter: csv.delimiter,
      columns: csv.columns,
      entries: asEntries(csv.records),
    };
  }
  if (format === "json") {
    const entries = await readJsonMembers(stream, { source, headerAliases });
    return { ...base, format, entries };
  }
  return {
    ...base,
    format,
    entries: readNdjsonMembers(stream, { source, headerAliases }),
  };
}

async function openFile(path: string): Promise<ReadableStream<Uint8Array>> {
  try {
    const file = await Deno.open(path, { read: true });
    if (!(await file.stat()).isFile) {
      file.close();
      throw new InputError("unreadable", `${path}: not a file`, {
        source: path,
      });
    }
    return file.readable;
  } catch (cause) {
    if (cause instanceof InputError) throw cause;
    const reason = cause instanceof Deno.errors.NotFound
      ? "file not found"
      : cause instanceof Deno.errors.PermissionDenied
      ? "no permission to read the file"
      : "the file cannot be opened";
    throw new InputError("unreadable", `${path}: ${reason}`, {
      source: path,
      cause,
    });
  }
}

/** The format a file name implies, if any. */
export function formatFromName(name: string): MemberFormat | undefined {
  const ext = /\.([^./\\]+)$/.exec(name.toLowerCase())?.[1];
  if (ext === "csv" || ext === "txt" || ext === "tsv") return "csv";
  if (ext === "json") return "json";
  if (ext === "ndjson" || ext === "jsonl") return "ndjson";
  return undefined;
}

async function sniffFormat(
  stream: ReadableStream<Uint8Array>,
): Promise<{ format: MemberFormat; stream: ReadableStream<Uint8Array> }> {
  const firstLine = (head: Uint8Array) => {
    const text = new TextDecoder().decode(head).trimStart();
    const newline = text.indexOf("\n");
    return newline === -1 ? undefined : text.slice(0, newline);
  };
  const peeked = await peek(
    stream,
    (head) => firstLine(head) !== undefined,
    1 << 20,
  );
  const text = new TextDecoder().decode(peeked.head).trimStart();
  const line = firstLine(peeked.head) ?? text;

  let format: MemberFormat = "csv";
  if (text.startsWith("[")) format = "json";
  else if (text.startsWith("{")) {
    format = "json";
    try {
      const first = JSON.parse(line);
      if (!Array.isArray(first?.members)) format = "ndjson";
    } catch {
      // A pretty-printed object spans lines: JSON.
    }
  }
  return { format, stream: peeked.stream };
}

/** The records as entries, a chunk's rows at a time as they were read. */
function asEntries(records: Batched<MemberRecord>): Batched<MemberEntry> {
  return batched(entryRuns(records));
}

async function* entryRuns(
  records: Batched<MemberRecord>,
): AsyncGenerator<MemberEntry[]> {
  for await (const run of records.runs()) {
    yield run.map((record) => ({ record }));
  }
}
