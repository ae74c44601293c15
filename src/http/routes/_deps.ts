/**
 * What the route modules share: the app type, the service, and the guards
 * every webhook route puts in front of its handler.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MemberRules } from "../../sync/valid_members.ts";
import type { WebhookService } from "../../service/webhook_service.ts";
import type { AppEnv } from "../env.ts";

export type App = OpenAPIHono<AppEnv>;

export interface RouteDeps {
  service: WebhookService;
  rules: MemberRules;
  /** Caller authentication (401/409). */
  authenticate: MiddlewareHandler<AppEnv>;
  now: () => Date;
}

/** The security requirement every authenticated route documents. */
export const SECURITY: Record<string, string[]>[] = [
  { hmacSignature: [], hmacTimestamp: [] },
  { bearer: [] },
];

/** Documented error answers, by status. */
export function problemResponses(
  problem: unknown,
  statuses: Record<number, string>,
) {
  return Object.fromEntries(
    Object.entries(statuses).map(([status, description]) => [status, {
      description,
      content: { "application/problem+json": { schema: problem } },
    }]),
  );
}
