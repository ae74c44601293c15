/**
 * Text encoding of an export file: find it from the first bytes, and turn the
 * file into a stream of UTF-8 bytes for the parsers, without reading it whole.
 *
 * Rules, in order:
 * 1. A byte order mark decides: EF BB BF is UTF-8, FF FE is UTF-16LE, FE FF is
 *    UTF-16BE (Excel's "Unicode text" export). The mark is removed.
 * 2. Otherwise, when the first `sniffBytes` (64 KiB) are valid UTF-8, the file
 *    is read as UTF-8. A multibyte character cut at the end of that prefix is
 *    not held against it.
 * 3. Otherwise the file is read as Windows-1252 (what Excel on Norwegian
 *    Windows writes as "CSV (semikolonseparert)"), and `transcoded` is set so
 *    the caller can say so.
 *
 * A file read as UTF-8 is checked to the end: a byte that is not UTF-8 later
 * on stops the read with an {@linkcode InputError} (code "encoding") naming
 * the line, rather than turning into replacement characters. That happens
 * when the first 64 KiB were plain ASCII and a later row is Windows-1252; the
 * caller can then force the encoding with the `encoding` option.
 *
 * @module
 */

import { isUtf8 } from "node:buffer";
import { InputError } from "./problem.ts";
import { concat, peek } from "./_stream.ts";

/** The encodings an export may come in. */
export type TextEncodingName =
  | "utf-8"
  | "windows-1252"
  | "utf-16le"
  | "utf-16be";

/** Options for {@linkcode toUtf8Stream}. */
export interface ToUtf8Options {
  /** The file as the caller names it, for error messages. */
  source: string;
  /** Skip sniffing and read the file in this encoding (a BOM is still removed). */
  encoding?: TextEncodingName;
  /**
   * How many bytes to look at before deciding.
   * @default 65536
   */
  sniffBytes?: number;
}

/** The outcome of {@linkcode toUtf8Stream}. */
export interface Utf8Stream {
  /** The encoding the file was read in. */
  encoding: TextEncodingName;
  /** The file started with a byte order mark. */
  bom: boolean;
  /** The file was not UTF-8 and was converted (say "read as Windows-1252"). */
  transcoded: boolean;
  /** The file's text as UTF-8 bytes, without a byte order mark. */
  stream: ReadableStream<Uint8Array>;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * Sniff the encoding of a byte stream and return its text as UTF-8 bytes.
 *
 * @example
 * ```ts
 * const file = await Deno.open("fixtures/medlemmer-eksport.csv");
 * const { encoding, stream } = await toUtf8Stream(file.readable, {
 *   source: "medlemmer-eksport.csv",
 * });
 * // encoding === "utf-8"
 * ```
 */
export async function toUtf8Stream(
  input: ReadableStream<Uint8Array>,
  options: ToUtf8Options,
): Promise<Utf8Stream> {
  const { source, sniffBytes = 65536 } = options;
  if (!Number.isInteger(sniffBytes) || sniffBytes < 4) {
    throw new RangeError(
      `sniffBytes must be an integer of at least 4, got ${sniffBytes}`,
    );
  }

  const peeked = await peek(
    input,
    (head) => head.length >= sniffBytes,
    sniffBytes,
  );
  const { head } = peeked;
  const bomEncoding = encodingFromBom(head);
  const encoding = options.encoding ?? bomEncoding ??
    sniffNulls(head, source) ??
    (isUtf8Prefix(head, peeked.done) ? "utf-8" : "windows-1252");
  const bom = bomEncoding !== undefined;
  const transcoded = encoding !== "utf-8";

  if (encoding === "utf-8") {
    const stripped = bomEncoding === "utf-8"
      ? peeked.stream.pipeThrough(dropBytes(UTF8_BOM.length))
      : peeked.stream;
    return {
      encoding,
      bom,
      transcoded,
      stream: stripped.pipeThrough(checkUtf8(source)),
    };
  }

  // TextDecoderStream removes a BOM of its own encoding (ignoreBOM: false).
  const text = peeked.stream.pipeThrough(
    new TextDecoderStream(encoding) as TransformStream<Uint8Array, string>,
  );
  return {
    encoding,
    bom,
    transcoded,
    stream: text.pipeThrough(new TextEncoderStream()),
  };
}

/**
 * Text exports never hold NUL bytes, except UTF-16 written without a BOM,
 * where every other byte of Latin text is NUL. Anything else with NULs is not
 * a text file, and is refused rather than decoded into garbage.
 */
function sniffNulls(
  head: Uint8Array,
  source: string,
): TextEncodingName | undefined {
  let even = 0;
  let odd = 0;
  for (let i = 0; i < head.length; i++) {
    if (head[i] === 0) i % 2 === 0 ? even++ : odd++;
  }
  if (even + odd === 0) return undefined;
  const half = head.length / 2;
  if (odd > half * 0.9 && even === 0) return "utf-16le";
  if (even > half * 0.9 && odd === 0) return "utf-16be";
  throw new InputError(
    "binary",
    `${source}: not a text file (it holds NUL bytes); export the member list as CSV, JSON or NDJSON`,
    { source },
  );
}

function encodingFromBom(head: Uint8Array): TextEncodingName | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return "utf-8";
  if (head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  return undefined;
}

/**
 * Whether `head` is valid UTF-8. When more input follows, a character cut at
 * the end is allowed (`stream: true` holds it back instead of failing).
 */
export function isUtf8Prefix(head: Uint8Array, complete: boolean): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(head, {
      stream: !complete,
    });
    return true;
  } catch {
    return false;
  }
}

function dropBytes(count: number): TransformStream<Uint8Array, Uint8Array> {
  let left = count;
  return new TransformStream({
    transform(chunk, controller) {
      if (left > 0) {
        const skip = Math.min(left, chunk.length);
        left -= skip;
        chunk = chunk.subarray(skip);
      }
      if (chunk.length > 0) controller.enqueue(chunk);
    },
  });
}

/** The bytes of a multibyte character cut off at the end of `bytes`, if any. */
function incompleteTail(bytes: Uint8Array): Uint8Array {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? bytes.slice(bytes.length - back) : new Uint8Array(0);
  }
  return new Uint8Array(0);
}

/** Whether `bytes` can begin a UTF-8 character (or are empty). */
function isCharStart(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return true;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * Pass bytes through unchanged while checking they are UTF-8. Each chunk is
 * checked whole with `isUtf8` (fast, and makes no string), up to a
 * character cut at its end, which is checked with the next chunk; only when
 * a chunk fails is it checked again line by line (a line feed never occurs
 * inside a multibyte character) to name the line.
 */
function checkUtf8(source: string): TransformStream<Uint8Array, Uint8Array> {
  let line = 1;

  const fail = (cause: unknown) =>
    new InputError(
      "encoding",
      `${source}: line ${line} is not valid UTF-8, though the start of the file was; save the file as UTF-8, or give --encoding windows-1252`,
      { source, line, cause },
    );

  const lineBreaks = (bytes: Uint8Array) => {
    let count = 0;
    for (
      let i = bytes.indexOf(0x0a);
      i !== -1;
      i = bytes.indexOf(0x0a, i + 1)
    ) {
      count++;
    }
    return count;
  };

  /** Find the failing line: a fresh decoder, fed what came before, line by line. */
  const locate = (chunk: Uint8Array, carried: Uint8Array) => {
    const probe = new TextDecoder("utf-8", { fatal: true });
    probe.decode(carried, { stream: true });
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline + 1;
      try {
        probe.decode(chunk.subarray(start, end), { stream: true });
      } catch (cause) {
        return fail(cause);
      }
      if (newline !== -1) line++;
      start = end;
    }
    return fail(new TypeError("invalid UTF-8"));
  };

  // A character cut at the end of the previous chunk, to check with the next.
  let tail: Uint8Array = new Uint8Array(0);
  return new TransformStream({
    transform(chunk, controller) {
      const bytes = tail.length === 0 ? chunk : concat([tail, chunk]);
      const cut = incompleteTail(bytes);
      const whole = bytes.subarray(0, bytes.length - cut.length);
      if (!isUtf8(whole) || !isCharStart(cut)) throw locate(chunk, tail);
      line += lineBreaks(chunk);
      tail = cut;
      controller.enqueue(chunk);
    },
    flush() {
      if (tail.length === 0) return;
      // The file ends inside a character.
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(tail);
      } catch (cause) {
        throw fail(cause);
      }
    },
  });
}
