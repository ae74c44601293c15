/**
 * POST /webhooks/offerings: the offerings file as JSON. Checked whole (as
 * a transaction stands or falls whole), stored and queued before the 202;
 * the consumer sends it as one FHIR transaction.
 *
 * @module
 */

import { createRoute } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { OfferingsError, parseOfferings } from "../../input/offerings.ts";
import { requireContentType } from "../content_type.ts";
import { offeringsProblems } from "../offerings_problems.ts";
import { ProblemError } from "../problem.ts";
import {
  offeringsAcceptedSchema,
  offeringsBodySchema,
  problemSchema,
} from "../schemas.ts";
import {
  type App,
  problemResponses,
  type RouteDeps,
  SECURITY,
} from "./_deps.ts";
import { parseJsonBody, tooLarge } from "./_body.ts";

export const offeringsRoute = createRoute({
  method: "post",
  path: "/webhooks/offerings",
  summary: "Health offerings (helsetilbud)",
  security: SECURITY,
  request: {
    body: {
      required: true,
      content: { "application/json": { schema: offeringsBodySchema } },
    },
  },
  responses: {
    202: {
      description: "Stored and queued",
      content: { "application/json": { schema: offeringsAcceptedSchema } },
    },
    ...problemResponses(problemSchema, {
      400: "Body is not JSON",
      401: "Not authenticated",
      409: "Signature replayed",
      413: "Body too large",
      415: "Not application/json",
      422: "Offerings invalid; `errors` lists every problem by JSON path",
    }),
  },
});

export function registerOfferings(app: App, deps: RouteDeps): void {
  const { service } = deps;
  const limit = service.settings.limitOfferings;
  app.openAPIRegistry.registerPath(offeringsRoute);
  app.post(
    "/webhooks/offerings",
    bodyLimit({ maxSize: limit, onError: tooLarge(limit) }),
    deps.authenticate,
    requireContentType(["application/json"]),
    async (c) => {
      const data = await parseJsonBody(c);
      let offerings;
      try {
        offerings = parseOfferings(data, "request body");
      } catch (error) {
        if (!(error instanceof OfferingsError)) throw error;
        const errors = offeringsProblems(data, error.issues);
        throw new ProblemError(422, "invalid-offerings", "Invalid offerings", {
          detail: `${errors.length} problem${
            errors.length === 1 ? "" : "s"
          }; nothing was stored`,
          errors,
        });
      }
      const { id } = await service.acceptOfferings(offerings);
      return c.json({ id, status: "pending" as const }, 202);
    },
  );
}
