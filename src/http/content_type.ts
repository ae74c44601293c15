/**
 * Refuse a body of the wrong media type with 415 before anything reads it.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { ProblemError } from "./problem.ts";

/** Only let through requests whose `Content-Type` is one of `types`. */
export function requireContentType(
  types: readonly string[],
): MiddlewareHandler {
  return async function checkContentType(c, next) {
    const given = (c.req.header("content-type") ?? "").split(";")[0].trim()
      .toLowerCase();
    if (!types.includes(given)) {
      throw new ProblemError(
        415,
        "unsupported-media-type",
        "Unsupported media type",
        {
          detail: `expected ${types.join(" or ")}, got ${given || "none"}`,
        },
      );
    }
    await next();
  };
}
