/**
 * Per-request variables the middleware sets for the handlers.
 *
 * @module
 */

import type { RequestIdVariables } from "hono/request-id";

export type AppEnv = {
  Variables: RequestIdVariables & {
    /** Who called, as "hmac#2" or "bearer#1": which secret, never its value. */
    caller?: string;
  };
};
