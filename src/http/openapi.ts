/**
 * GET /openapi.json: the OpenAPI 3.0 document, generated from the same zod
 * schemas and route definitions the handlers use.
 *
 * @module
 */

import { createRoute, z } from "@hono/zod-openapi";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./hmac_signature.ts";
import type { App } from "./routes/_deps.ts";

export const openApiRoute = createRoute({
  method: "get",
  path: "/openapi.json",
  summary: "This document",
  responses: {
    200: {
      description: "OpenAPI 3.0 document",
      content: {
        "application/json": { schema: z.record(z.string(), z.unknown()) },
      },
    },
  },
});

export function registerOpenApi(app: App, version: string): void {
  const registry = app.openAPIRegistry;
  registry.registerComponent("securitySchemes", "hmacSignature", {
    type: "apiKey",
    in: "header",
    name: SIGNATURE_HEADER,
    description:
      "`v1=` + hex HMAC-SHA256(secret, timestamp + '.' + METHOD + '.' + path with query + '.' + raw body); several comma-separated values allowed. Sent with the timestamp header.",
  });
  registry.registerComponent("securitySchemes", "hmacTimestamp", {
    type: "apiKey",
    in: "header",
    name: TIMESTAMP_HEADER,
    description:
      "Unix seconds; refused when more than 5 minutes from the server's clock",
  });
  registry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
  });
  registry.registerPath(openApiRoute);
  app.doc("/openapi.json", {
    openapi: "3.0.3",
    info: {
      title: "Medlemsbro webhooks",
      version,
      description:
        "Membership events, whole member lists and offerings, accepted durably and sent to Helsenorge in batches. See docs/webhooks.md.",
    },
  });
}
