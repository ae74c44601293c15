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
import { maskIdsInText } from "../../identifiers/mask.ts";
import { ProblemError, type ProblemItem } from "../problem.ts";
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
      422:
        "No event could be accepted (each invalid, or its id received before with other content); `errors` lists each with its position",
    }),
  },
});

/** The reason given for an id received before with other content. */
export const CONFLICT =
  "conflict: an event with this id was received before with other content; the first is kept (send a change under a new id)";

/** The 422 when no event of a request could be accepted. */
function nothingAccepted(refused: ProblemItem[]): ProblemError {
  return new ProblemError(422, "invalid-events", "No valid event", {
    detail: "all events were refused; nothing was stored",
    errors: refused,
  });
}

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
      const { events, positions, refused, notEvents } = parseEvents(
        body,
        rules,
        today,
      );
      if (notEvents !== undefined) {
        throw new ProblemError(422, "invalid-events", "No events", {
          detail: notEvents,
        });
      }
      if (events.length === 0) throw nothingAccepted(refused);

      const result = await service.acceptEvents(events, c.get("requestId"));
      for (const { index, id } of result.conflicts) {
        refused.push({
          position: positions[index],
          id: maskIdsInText(id),
          field: "id",
          reason: CONFLICT,
        });
      }
      refused.sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
      if (result.accepted.length === 0 && result.duplicates.length === 0) {
        throw nothingAccepted(refused);
      }
      // Ids are echoed with runs of 10+ digits masked, like everything shown.
      return c.json({
        accepted: result.accepted.map(maskIdsInText),
        duplicates: result.duplicates.map(maskIdsInText),
        refused,
      }, 202);
    },
  );
}
