/**
 * Member exports as JSON or NDJSON.
 *
 * - JSON: an array of member objects, or `{ "members": [...] }`. The file is
 *   read whole before parsing (JSON cannot be parsed in pieces without a
 *   streaming parser); a member list of 100 000 rows is about 10 MB, which is
 *   fine. Use NDJSON for larger lists. `row` is the item's 1-based position.
 * - NDJSON (JSON Lines): one member object per line, read as a stream.
 *   `row` is the line number; a line that is not a JSON object becomes a
 *   "malformed-row" problem and the other lines are read on.
 *
 * Keys are matched to fields with the same names as CSV headers
 * (docs/input-formats.md), so `nationalId`, `fnr` and `Fødselsnummer` all
 * work. Values may be strings or numbers; `null` counts as empty. Other keys
 * are read past.
 *
 * @module
 */

import {
  type HeaderAliases,
  MEMBER_FIELDS,
  resolveColumns,
} from "./headers.ts";
import type { MemberEntry, MemberRecord } from "./member.ts";
import { InputError, type Problem } from "./problem.ts";
import { jsonErrorLine } from "./_json_error.ts";

/** Options for {@linkcode readJsonMembers} and {@linkcode readNdjsonMembers}. */
export interface JsonMembersOptions {
  /** The file as the caller names it, for error messages. */
  source: string;
  /** Extra key names per field, tried before the built-in ones. */
  headerAliases?: HeaderAliases;
}

/**
 * Read a JSON member export (UTF-8 bytes) and return its entries. Throws
 * {@linkcode InputError} "not-json" when the file is not JSON, or not an
 * array or `{ members }`.
 */
export async function readJsonMembers(
  input: ReadableStream<Uint8Array>,
  options: JsonMembersOptions,
): Promise<AsyncGenerator<MemberEntry>> {
  const { source } = options;
  const text = await new Response(input).text();

  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    // V8's message quotes a piece of the file, which may be a national id,
    // so only the position is kept.
    const line = jsonErrorLine(error, text);
    const where = line === undefined ? "" : ` (line ${line})`;
    throw new InputError(
      "not-json",
      `${source}: the file is not valid JSON${where}`,
      {
        source,
        line,
      },
    );
  }

  const items = Array.isArray(data)
    ? data
    : isObject(data) && Array.isArray(data.members)
    ? data.members
    : undefined;
  if (!items) {
    throw new InputError(
      "not-json",
      `${source}: expected a JSON array of members, or an object with a "members" array`,
      { source },
    );
  }

  const mapper = objectMapper(options);
  return (async function* () {
    for (let i = 0; i < items.length; i++) yield mapper(items[i], i + 1);
  })();
}

/**
 * Read an NDJSON member export (UTF-8 bytes) line by line. Empty lines are
 * skipped; a bad line yields a problem and reading goes on.
 */
export async function* readNdjsonMembers(
  input: ReadableStream<Uint8Array>,
  options: JsonMembersOptions,
): AsyncGenerator<MemberEntry> {
  const mapper = objectMapper(options);
  const text = input.pipeThrough(
    new TextDecoderStream() as TransformStream<Uint8Array, string>,
  );
  let line = 0;

  for await (const content of splitLines(text)) {
    line++;
    const trimmed = content.trim();
    if (trimmed === "") continue;

    let item: unknown;
    try {
      item = JSON.parse(trimmed);
    } catch {
      yield {
        problem: malformed(line, "line is not valid JSON"),
      };
      continue;
    }
    yield mapper(item, line);
  }
}

async function* splitLines(
  text: ReadableStream<string>,
): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of text) {
    const buffer = rest + chunk;
    let start = 0;
    let newline = buffer.indexOf("\n");
    while (newline !== -1) {
      yield buffer.slice(start, newline).replace(/\r$/, "");
      start = newline + 1;
      newline = buffer.indexOf("\n", start);
    }
    rest = buffer.slice(start);
  }
  if (rest !== "") yield rest.replace(/\r$/, "");
}

/**
 * Map one JSON item to a record. Key sets are few (usually one), so each
 * distinct set is resolved once.
 */
function objectMapper(
  options: JsonMembersOptions,
): (item: unknown, row: number) => MemberEntry {
  const { source, headerAliases } = options;
  const cache = new Map<string, ReturnType<typeof resolveColumns> | string>();

  return (item, row) => {
    if (!isObject(item)) {
      return { problem: malformed(row, "item is not a JSON object") };
    }
    const keys = Object.keys(item);
    const cacheKey = JSON.stringify(keys);
    let columns = cache.get(cacheKey);
    if (columns === undefined) {
      try {
        columns = resolveColumns(keys, {
          source,
          headerAliases,
          optional: MEMBER_FIELDS,
        });
      } catch (error) {
        columns = error instanceof InputError
          ? "item has two keys for the same field"
          : String(error);
      }
      cache.set(cacheKey, columns);
    }
    if (typeof columns === "string") {
      return { problem: malformed(row, columns) };
    }

    const record: MemberRecord = { row };
    for (const field of MEMBER_FIELDS) {
      const at = columns[field];
      if (!at) continue;
      const value = item[at.column];
      if (value === null || value === undefined) {
        record[field] = { value: "", column: at.column };
      } else if (typeof value === "string" || typeof value === "number") {
        record[field] = { value: String(value).trim(), column: at.column };
      } else {
        return {
          problem: {
            ...malformed(row, `"${at.column}" must be a string or a number`),
            column: at.column,
          },
        };
      }
    }
    return { record };
  };
}

function malformed(row: number, reason: string): Problem {
  return {
    row,
    column: "",
    value: "",
    reason,
    code: "malformed-row",
    severity: "error",
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
