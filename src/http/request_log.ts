/**
 * One structured log line per request: method, path, status, duration and
 * the request id (request_id.ts, also sent back as `X-Request-Id`).
 * No headers or bodies are logged, so no signature, token or national id.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import type { Logger } from "../log.ts";
import type { AppEnv } from "./env.ts";

/** Log each request once it is answered. */
export function requestLog(log: Logger): MiddlewareHandler<AppEnv> {
  return async function logRequest(c, next) {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const line = {
      requestId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      ...(c.get("caller") ? { caller: c.get("caller") } : {}),
    };
    if (status >= 500) log.error("request", line);
    else log.info("request", line);
  };
}
