/**
 * GET /healthz (liveness, open, nothing secret) and GET /status (counts of
 * pending and dead-lettered events, members by status, the last runs;
 * authenticated).
 *
 * @module
 */

import { createRoute } from "@hono/zod-openapi";
import { healthSchema, problemSchema, statusSchema } from "../schemas.ts";
import {
  type App,
  problemResponses,
  type RouteDeps,
  SECURITY,
} from "./_deps.ts";

export const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness",
  responses: {
    200: {
      description: "The process answers",
      content: { "application/json": { schema: healthSchema } },
    },
  },
});

export const statusRoute = createRoute({
  method: "get",
  path: "/status",
  summary: "Pending and dead-lettered events, members by status, last runs",
  security: SECURITY,
  responses: {
    200: {
      description: "Counts; national ids masked",
      content: { "application/json": { schema: statusSchema } },
    },
    ...problemResponses(problemSchema, {
      401: "Not authenticated",
      409: "Signature replayed",
    }),
  },
});

export function registerHealth(app: App, version: string): void {
  app.openAPIRegistry.registerPath(healthRoute);
  app.get("/healthz", (c) => c.json({ status: "ok" as const, version }));
}

export function registerStatus(app: App, deps: RouteDeps): void {
  app.openAPIRegistry.registerPath(statusRoute);
  app.get(
    "/status",
    deps.authenticate,
    async (c) => c.json(await deps.service.status()),
  );
}
