/**
 * Authentication of webhook callers: an HMAC signature over the timestamp,
 * method, path and raw body (see hmac_signature.ts), or a bearer token. A
 * call with neither, or with a wrong one, gets 401 before any handler runs,
 * so it touches nothing. A signature already used gets 409
 * (replay_guard.ts); a request refused after authentication (an error
 * status: 415, 400, 422, ...) gives its signature back, so a corrected
 * resend is not taken for a replay.
 *
 * The raw body is read here (after `bodyLimit`), so handlers read it again
 * from Hono's cache.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { createBearerVerifier } from "./bearer_token.ts";
import {
  createHmacVerifier,
  SIGNATURE_HEADER,
  type SignatureCheck,
  TIMESTAMP_HEADER,
} from "./hmac_signature.ts";
import { ProblemError } from "./problem.ts";
import type { ReplayGuard } from "./replay_guard.ts";
import type { AppEnv } from "./env.ts";

export interface AuthenticateOptions {
  /** HMAC secrets; all are accepted (rotation). */
  secrets: readonly string[];
  /** Bearer tokens. */
  tokens: readonly string[];
  /** @default 300 */
  maxSkewSeconds?: number;
  replayGuard: ReplayGuard;
  /** @default () => new Date() */
  now?: () => Date;
}

const REASONS: Record<Exclude<SignatureCheck, { ok: true }>["reason"], string> =
  {
    missing: "no signature or bearer token",
    malformed: "the signature or timestamp header is malformed",
    stale:
      "the signature's timestamp is too far from the server's clock (more than the allowed skew)",
    mismatch:
      "the signature does not match the timestamp, method, path and body with any active secret",
  };

const unauthorized = (detail: string) =>
  new ProblemError(401, "unauthorized", "Authentication required", {
    detail,
    headers: {
      "www-authenticate": 'Bearer realm="medlemsbro", Medlemsbro-HMAC-SHA256',
    },
  });

/** Middleware that lets only authenticated callers through. */
export function authenticate(
  options: AuthenticateOptions,
): MiddlewareHandler<AppEnv> {
  const { secrets, tokens, maxSkewSeconds = 300, replayGuard, now } = options;
  const verifyHmac = createHmacVerifier({ secrets, maxSkewSeconds, now });
  const verifyBearer = createBearerVerifier(tokens);

  return async function authenticateCaller(c, next) {
    const authorization = c.req.header("authorization");
    if (authorization !== undefined) {
      const index = await verifyBearer(authorization);
      if (index < 0) throw unauthorized("the bearer token is not valid");
      c.set("caller", `bearer#${index + 1}`);
      return await next();
    }

    const body = new Uint8Array(await c.req.arrayBuffer());
    const url = new URL(c.req.url);
    const check = await verifyHmac({
      timestamp: c.req.header(TIMESTAMP_HEADER),
      signature: c.req.header(SIGNATURE_HEADER),
    }, { method: c.req.method, path: url.pathname + url.search, body });
    if (!check.ok) throw unauthorized(REASONS[check.reason]);
    // Reserved before the handler runs, so of two identical requests racing
    // only one goes through.
    if (!(await replayGuard.firstUse(check.signature))) {
      throw new ProblemError(409, "replayed-request", "Request replayed", {
        detail:
          "this signature was already used by an accepted request; sign the request again with a new timestamp (event ids make a resend safe)",
      });
    }
    c.set("caller", `hmac#${check.secretIndex + 1}`);
    let accepted = false;
    try {
      await next();
      accepted = c.res.status < 400 && c.error === undefined;
    } finally {
      // A refused request did nothing; its signature may be used again.
      if (!accepted) await replayGuard.release(check.signature);
    }
  };
}
