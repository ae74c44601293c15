/**
 * POST /webhooks/members/full: the whole member list as CSV or NDJSON,
 * handled like `sync --full` (memberships of members absent from it end;
 * the safety brake refuses to end too many). The body is stored in KV in
 * chunks and queued before the 202; GET /webhooks/members/full/{id} tells
 * how its run went.
 *
 * @module
 */

import { createRoute, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { uploadStatus } from "../../service/webhook_service.ts";
import type { UploadFormat } from "../../service/uploads.ts";
import { requireContentType } from "../content_type.ts";
import { ProblemError } from "../problem.ts";
import {
  problemSchema,
  uploadAcceptedSchema,
  uploadStatusSchema,
} from "../schemas.ts";
import {
  type App,
  problemResponses,
  type RouteDeps,
  SECURITY,
} from "./_deps.ts";
import { tooLarge } from "./_body.ts";

const FORMATS: Record<string, UploadFormat> = {
  "text/csv": "csv",
  "application/x-ndjson": "ndjson",
  "application/ndjson": "ndjson",
  "application/jsonl": "ndjson",
};

const listBody = z.string().openapi({
  description:
    "A member export as CSV (`;`, `,` or tab; Norwegian or English headers) or NDJSON, see docs/input-formats.md",
});

export const memberListRoute = createRoute({
  method: "post",
  path: "/webhooks/members/full",
  summary: "The whole member list, handled like sync --full",
  security: SECURITY,
  request: {
    body: {
      required: true,
      content: Object.fromEntries(
        Object.keys(FORMATS).map((type) => [type, { schema: listBody }]),
      ),
    },
  },
  responses: {
    202: {
      description: "Stored and queued; the run's outcome at `statusUrl`",
      content: { "application/json": { schema: uploadAcceptedSchema } },
    },
    ...problemResponses(problemSchema, {
      401: "Not authenticated",
      409: "Signature replayed",
      413: "Body too large",
      415: "Not CSV or NDJSON",
      422: "Empty body",
    }),
  },
});

export const uploadStatusRoute = createRoute({
  method: "get",
  path: "/webhooks/members/full/{id}",
  summary: "How a member list upload went",
  security: SECURITY,
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: {
      description: "The upload and, once run, its counters",
      content: { "application/json": { schema: uploadStatusSchema } },
    },
    ...problemResponses(problemSchema, {
      401: "Not authenticated",
      404: "No such upload",
    }),
  },
});

export function registerMemberList(app: App, deps: RouteDeps): void {
  const { service } = deps;
  const limit = service.settings.limitFull;
  app.openAPIRegistry.registerPath(memberListRoute);
  app.openAPIRegistry.registerPath(uploadStatusRoute);

  app.post(
    "/webhooks/members/full",
    bodyLimit({ maxSize: limit, onError: tooLarge(limit) }),
    deps.authenticate,
    requireContentType(Object.keys(FORMATS)),
    async (c) => {
      const type = (c.req.header("content-type") ?? "").split(";")[0].trim()
        .toLowerCase();
      const body = new Uint8Array(await c.req.arrayBuffer());
      if (body.length === 0) {
        throw new ProblemError(422, "empty-list", "Empty member list", {
          detail: "the body is empty; nothing was stored",
        });
      }
      const record = await service.acceptUpload(
        body,
        FORMATS[type],
        c.get("requestId"),
      );
      return c.json({
        uploadId: record.id,
        status: record.status,
        bytes: record.bytes,
        statusUrl: `/webhooks/members/full/${record.id}`,
      }, 202);
    },
  );

  app.get("/webhooks/members/full/:id", deps.authenticate, async (c) => {
    const record = await uploadStatus(
      service.context.state.kv,
      c.req.param("id"),
    );
    if (!record) {
      throw new ProblemError(404, "not-found", "No such upload");
    }
    const { requestId: _, chunks: __, nextAttemptAt: ___, ...shown } = record;
    return c.json(shown);
  });
}
