/**
 * Body helpers shared by the routes: JSON parsing that never echoes the
 * body, and the 413 answer of `bodyLimit`.
 *
 * @module
 */

import type { Context } from "hono";
import { ProblemError } from "../problem.ts";

/** Parse the (already read) body as JSON, or throw a 400 problem. */
export async function parseJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message quotes the body, which may hold national ids.
    throw new ProblemError(400, "malformed-json", "Malformed JSON", {
      detail: "the body is not valid JSON",
    });
  }
}

/** `bodyLimit`'s `onError`: a 413 problem naming the limit. */
export function tooLarge(limit: number) {
  return (): never => {
    throw new ProblemError(413, "body-too-large", "Body too large", {
      detail: `the body is larger than this route's limit of ${limit} bytes`,
    });
  };
}
