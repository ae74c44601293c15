/**
 * The HTTP service's Hono app: webhooks for membership events, whole member
 * lists and offerings, plus health, status and the OpenAPI document. Served
 * by `deno task serve` (main.ts) and deployable to Deno Deploy as is.
 *
 * | route | auth | what |
 * | --- | --- | --- |
 * | `POST /webhooks/members` | yes | one event or an array (joined, changed, left) |
 * | `POST /webhooks/members/full` | yes | the whole list, CSV or NDJSON, like `sync --full` |
 * | `GET /webhooks/members/full/{id}` | yes | how an upload went |
 * | `POST /webhooks/offerings` | yes | offerings JSON |
 * | `GET /status` | yes | pending and dead events, members by status, runs |
 * | `GET /healthz` | no | liveness |
 * | `GET /openapi.json` | no | the OpenAPI document |
 * | `GET /`, `/login`, `/problems.csv`, `POST /actions/*` | login | the operator page (docs/operator.md) |
 *
 * Details and the signing scheme: docs/webhooks.md.
 *
 * @module
 */

import { OpenAPIHono } from "@hono/zod-openapi";
import { createLogger, type Logger } from "../log.ts";
import type { ServiceContext } from "../service/context.ts";
import type { WebhookService } from "../service/webhook_service.ts";
import type { MemberRules } from "../sync/valid_members.ts";
import { authenticate } from "./authenticate.ts";
import type { AppEnv } from "./env.ts";
import { allowedMethods } from "./method_not_allowed.ts";
import { registerOpenApi } from "./openapi.ts";
import { registerOperator } from "./operator/routes.tsx";
import {
  loadOperatorSettings,
  type OperatorSettings,
} from "./operator/settings.ts";
import { problemDetails, ProblemError } from "./problem.ts";
import { kvReplayGuard, type ReplayGuard } from "./replay_guard.ts";
import { requestId } from "./request_id.ts";
import { requestLog } from "./request_log.ts";
import { registerMemberEvents } from "./routes/member_events.ts";
import { registerMemberList } from "./routes/member_list.ts";
import { registerOfferings } from "./routes/offerings.ts";
import { registerHealth, registerStatus } from "./routes/status.ts";

export interface AppOptions {
  /** Version string shown by /healthz. @default "dev" */
  version?: string;
  /** The running service's state, connection and logger (none in some tests). */
  context?: ServiceContext;
  /** The webhook service; without it only /healthz and /openapi.json exist. */
  webhooks?: WebhookService;
  /** @default context.log, else a JSON logger on stderr */
  log?: Logger;
  /** @default () => new Date() */
  now?: () => Date;
  /** @default a KV guard on the service's store */
  replayGuard?: ReplayGuard;
  /**
   * The operator page's settings (needs `webhooks`); `false` leaves it out.
   * @default read from `MEDLEMSBRO_OPERATOR_*` when `context` is given
   * (the running service), else left out
   */
  operator?: OperatorSettings | false;
}

/** Build the service's app. No I/O happens until a request comes. */
export function createApp(options: AppOptions = {}): OpenAPIHono<AppEnv> {
  const {
    version = "dev",
    webhooks,
    log = options.context?.log ?? createLogger(),
    now = () => new Date(),
  } = options;
  const app = new OpenAPIHono<AppEnv>();
  app.use(requestId());
  app.use(requestLog(log));
  app.onError(problemDetails(log));
  app.notFound((c) => {
    const allowed = allowedMethods(app.routes, c.req.path);
    if (allowed.length > 0) {
      throw new ProblemError(405, "method-not-allowed", "Method not allowed", {
        detail: `${c.req.method} is not served on ${c.req.path}; allowed: ${
          allowed.join(", ")
        }`,
        headers: { allow: allowed.join(", ") },
      });
    }
    throw new ProblemError(404, "not-found", "Not found", {
      detail: `no route ${c.req.method} ${c.req.path}`,
    });
  });

  registerHealth(app, version);
  if (webhooks) {
    const { settings, context } = webhooks;
    const rules: MemberRules = context.rules;
    const deps = {
      service: webhooks,
      rules,
      now,
      authenticate: authenticate({
        secrets: settings.secrets,
        tokens: settings.tokens,
        maxSkewSeconds: settings.maxSkewSeconds,
        replayGuard: options.replayGuard ??
          kvReplayGuard(context.state.kv, settings),
        now,
      }),
    };
    registerMemberEvents(app, deps);
    registerMemberList(app, deps);
    registerOfferings(app, deps);
    registerStatus(app, deps);

    const operator = options.operator ??
      (options.context ? loadOperatorSettings(Deno.env.toObject()) : false);
    if (operator) {
      if (operator.randomSecret) {
        log.warn(
          "no MEDLEMSBRO_OPERATOR_SESSION_SECRET: operator logins end when the process stops",
        );
      }
      if (operator.users.length === 0) {
        log.warn(
          "no MEDLEMSBRO_OPERATOR_USERS: no one can log in to the operator page",
        );
      }
      registerOperator(app, {
        service: webhooks,
        settings: operator,
        authenticate: deps.authenticate,
        log,
        now,
      });
    }
  }
  registerOpenApi(app, version);
  return app;
}
