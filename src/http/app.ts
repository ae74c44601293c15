/**
 * The HTTP service's Hono app. For now it answers health checks; the webhook
 * routes build on this (see the webhook issue).
 *
 * @module
 */

import { Hono } from "hono";
import type { ServiceContext } from "../service/context.ts";

export interface AppOptions {
  /** Version string shown by /healthz. @default "dev" */
  version?: string;
  /** The running service's state, connection and logger (none in some tests). */
  context?: ServiceContext;
}

/** Build the service's app. No I/O happens until a request comes. */
export function createApp(options: AppOptions = {}): Hono {
  const { version = "dev" } = options;
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok", version }));
  return app;
}
