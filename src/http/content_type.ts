/**
 * Refuse a body of the wrong media type, or in a character set other than
 * UTF-8, with 415 before anything reads it. JSON is UTF-8 (RFC 8259 §8.1);
 * a body declared as `charset=latin1` would otherwise be decoded as UTF-8
 * and its names garbled. A CSV or NDJSON list sent without a charset is
 * still read by the reader's own detection (UTF-8, else Windows-1252).
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { ProblemError } from "./problem.ts";

const UTF8 = new Set(["utf-8", "utf8"]);

/** The media type and the charset parameter of a `Content-Type` value. */
export function parseContentType(
  header: string | undefined,
): { type: string; charset?: string } {
  const [type, ...params] = (header ?? "").split(";");
  let charset: string | undefined;
  for (const param of params) {
    const [name, ...value] = param.split("=");
    if (name.trim().toLowerCase() === "charset") {
      charset = value.join("=").trim().replace(/^"(.*)"$/, "$1");
    }
  }
  return { type: type.trim().toLowerCase(), charset };
}

/**
 * Only let through requests whose `Content-Type` is one of `types`, with no
 * charset or UTF-8.
 */
export function requireContentType(
  types: readonly string[],
): MiddlewareHandler {
  return async function checkContentType(c, next) {
    const { type, charset } = parseContentType(c.req.header("content-type"));
    if (!types.includes(type)) {
      throw new ProblemError(
        415,
        "unsupported-media-type",
        "Unsupported media type",
        {
          detail: `expected ${types.join(" or ")}, got ${
            /^[\w.+\/-]{1,100}$/.test(type) ? type : type ? "another" : "none"
          }`,
        },
      );
    }
    if (charset !== undefined && !UTF8.has(charset.toLowerCase())) {
      // The caller's text, shown only when it looks like a charset name.
      const named = /^[\w.:-]{1,40}$/.test(charset)
        ? `charset ${charset}`
        : "the given charset";
      throw new ProblemError(
        415,
        "unsupported-charset",
        "Unsupported charset",
        {
          detail:
            `${named} is not supported; send the body as UTF-8 (charset=utf-8, or no charset)`,
        },
      );
    }
    await next();
  };
}
