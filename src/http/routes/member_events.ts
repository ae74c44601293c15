/**
 * POST /webhooks/members: one membership event or an array of them.
 * Good events are stored durably and queued before the 202; bad ones are
 * listed in `refused`. Nothing good at all: 422 with every problem.
 *
 * @module
 */

import { createRoute } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { requireContentType } from "../content_type.ts";
import { parseEvents } from "../parse_events.ts";
import { ProblemError } from "../problem.ts";
import {
  eventsAcceptedSchema,
  memberEventsBodySchema,
  problemSchema,
} from "../schemas.ts";
import {
  type App,
  problemResponses,
  type RouteDeps,
  SECURITY,
} from "./_deps.ts";
import { parseJsonBody, tooLarge } from "./_body.ts";

export const memberEventsRoute = createRoute({
  method: "post",
  path: "/webhooks/members",
  summary: "Membership events: joined, changed, left",
  security: SECURITY,
  request: {
    body: {
      required: true,
      content: { "application/json": { schema: memberEventsBodySchema } },
    },
  },
  responses: {
    202: {
      description:
        "Accepted: good events are stored and queued; duplicates acknowledged; bad ones listed",
      content: { "application/json": { schema: eventsAcceptedSchema } },
    },
    ...problemResponses(problemSchema, {
      400: "Body is not JSON",
      401: "Not authenticated",
      409: "Signature replayed",
      413: "Body too large",
      415: "Not application/json",
      422: "No event could be accepted; `errors` lists each with its position",
    }),
  },
});

export function registerMemberEvents(app: App, deps: RouteDeps): void {
  const { service, rules, now } = deps;
  app.openAPIRegistry.registerPath(memberEventsRoute);
  app.post(
    "/webhooks/members",
    bodyLimit({
      maxSize: service.settings.limitEvents,
      onError: tooLarge(service.settings.limitEvents),
    }),
    deps.authenticate,
    requireContentType(["application/json"]),
    async (c) => {
      const body = await parseJsonBody(c);
      const today = now().toISOString().slice(0, 10);
      const { events, refused, notEvents } = parseEvents(body, rules, today);
      if (notEvents !== undefined) {
        throw new ProblemError(422, "invalid-events", "No events", {
          detail: notEvents,
        });
      }
      if (events.length === 0) {
        throw new ProblemError(422, "invalid-events", "No valid event", {
          detail: `all ${
            refused.length === 1 ? "" : "the "
          }events were refused; nothing was stored`,
          errors: refused,
        });
      }
      const result = await service.acceptEvents(events, c.get("requestId"));
      return c.json({ ...result, refused }, 202);
    },
  );
}
