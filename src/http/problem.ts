/**
 * Errors as RFC 9457 problem details (`application/problem+json`), mapped in
 * one `onError`. Every problem names its `type` under
 * `https://medlemsbro.invalid/problems/` (a stable code, not a page), its
 * HTTP status, and, for a batch or a file, every bad item with its position
 * and reason, national ids masked.
 *
 * @module
 */

import type { Context, ErrorHandler } from "hono";
import type { AppEnv } from "./env.ts";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { maskIdsInText } from "../identifiers/mask.ts";
import type { Logger } from "../log.ts";
import { errorMessage } from "../errors.ts";

/** Base of every problem `type`. */
export const PROBLEM_BASE = "https://medlemsbro.invalid/problems/";

export const PROBLEM_JSON = "application/problem+json";

/** One bad event, row or field. */
export interface ProblemItem {
  /** 1-based position of the event in the request, or the line in a file. */
  position?: number;
  /** The event's id, when it had one. */
  id?: string;
  /** Field or JSON path, e.g. `nationalId`, `organizations[0].name`. */
  field?: string;
  reason: string;
}

/** The body of a problem response. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: ProblemItem[];
}

/** Throw this from a handler or middleware to answer with a problem. */
export class ProblemError extends Error {
  override name = "ProblemError";
  readonly status: ContentfulStatusCode;
  /** Short code appended to {@linkcode PROBLEM_BASE}, e.g. "bad-signature". */
  readonly code: string;
  readonly title: string;
  readonly errors?: ProblemItem[];
  readonly headers?: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    title: string,
    options: {
      detail?: string;
      errors?: ProblemItem[];
      headers?: Record<string, string>;
    } = {},
  ) {
    super(options.detail ?? title);
    this.status = status;
    this.code = code;
    this.title = title;
    this.errors = options.errors;
    this.headers = options.headers;
  }
}

/** The problem response for `error`, ids masked. */
export function problemResponse(
  c: Context<AppEnv>,
  error: ProblemError,
): Response {
  const body: ProblemBody = {
    type: PROBLEM_BASE + error.code,
    title: error.title,
    status: error.status,
    detail: maskIdsInText(error.message),
    instance: c.req.path,
    requestId: c.get("requestId"),
    errors: error.errors?.map((item) => ({
      ...item,
      ...(item.id === undefined ? {} : { id: maskIdsInText(item.id) }),
      reason: maskIdsInText(item.reason),
    })),
  };
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: {
      "content-type": PROBLEM_JSON,
      ...(c.get("requestId") ? { "x-request-id": c.get("requestId") } : {}),
      ...error.headers,
    },
  });
}

/**
 * The app's `onError`: problems as they are, Hono's HTTP errors by status,
 * anything else as a 500 whose message is logged (masked) but not shown.
 */
export function problemDetails(log: Logger): ErrorHandler<AppEnv> {
  return function onProblem(error, c) {
    if (error instanceof ProblemError) return problemResponse(c, error);
    if (error instanceof HTTPException) {
      return problemResponse(
        c,
        new ProblemError(
          error.status as ContentfulStatusCode,
          `http-${error.status}`,
          error.message || "Request refused",
        ),
      );
    }
    log.error("request failed", {
      requestId: c.get("requestId"),
      error: errorMessage(error),
    });
    return problemResponse(
      c,
      new ProblemError(500, "internal", "Internal error", {
        detail: "The request could not be handled; nothing was accepted",
      }),
    );
  };
}
