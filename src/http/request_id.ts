/**
 * The request id of each request: the caller's `X-Request-Id` when it is
 * 1 to 128 characters of `A-Z a-z 0-9 . _ : -`, else a new UUID. A run of
 * ten or more digits in it is masked (it may be a national id), and the
 * masked id is the one used everywhere: the log line, the stored event, the
 * `X-Request-Id` answer header and problem details.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { maskIdsInText } from "../identifiers/mask.ts";
import type { AppEnv } from "./env.ts";

const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;

/** The id to use for a caller's `X-Request-Id` value (or none). */
export function requestIdFor(
  given: string | undefined,
  generate: () => string = () => crypto.randomUUID(),
): string {
  return given !== undefined && SAFE.test(given)
    ? maskIdsInText(given)
    : generate();
}

/** Set `requestId` and the `X-Request-Id` answer header. */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async function setRequestId(c, next) {
    const id = requestIdFor(c.req.header("x-request-id"));
    c.set("requestId", id);
    c.header("X-Request-Id", id);
    await next();
  };
}
