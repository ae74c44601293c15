/**
 * The zod schemas of the webhook API: used to check requests and to
 * generate GET /openapi.json, so the document and the checks cannot drift.
 *
 * @module
 */

import { z } from "@hono/zod-openapi";

/**
 * What an event id may hold: no control or bidirectional characters, nothing
 * a log or terminal would interpret.
 */
export const EVENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** One membership event, as a membership system posts it. */
export const memberEventSchema = z.object({
  id: z.string().regex(EVENT_ID, {
    error:
      "id must be 1 to 128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'",
  }).openapi({
    description:
      "The sender's unique event id (1 to 128 of `A-Za-z0-9._:-`); a redelivery with the same id and content is acknowledged and processed once, with other content it is refused. Runs of 10 or more digits are masked wherever the id is shown",
    example: "evt-2026-06-15-0001",
  }),
  type: z.enum(["joined", "changed", "left"]).openapi({
    description:
      "`joined` and `changed` send the membership as given; `left` sends it with its end (today when none is given)",
  }),
  nationalId: z.string().min(1).max(40).openapi({
    description: "Fødselsnummer or D-nummer, 11 digits",
    example: "23907640450",
  }),
  organizationNumber: z.string().min(1).max(40).openapi({
    description: "Nine digits, spaces allowed",
    example: "948 554 062",
  }),
  start: z.string().max(40).optional().openapi({
    description:
      "Membership start, YYYY-MM-DD or dd.mm.yyyy; required unless `type` is `left` for a member already sent",
    example: "2026-01-01",
  }),
  end: z.string().max(40).optional().openapi({
    description:
      "Membership end; required for `joined`/`changed` unless the service has a default end",
    example: "2026-12-31",
  }),
}).openapi("MemberEvent");

export const memberEventsBodySchema = z.union([
  memberEventSchema,
  z.array(memberEventSchema).max(1000),
]).openapi("MemberEvents", {
  description: "One event, or an array of at most 1000",
});

export const problemItemSchema = z.object({
  position: z.number().int().optional().openapi({
    description: "1-based position of the event in the request, or the line",
  }),
  id: z.string().optional(),
  field: z.string().optional(),
  reason: z.string(),
}).openapi("ProblemItem");

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  requestId: z.string().optional(),
  errors: z.array(problemItemSchema).optional(),
}).openapi("Problem", { description: "RFC 9457 problem details" });

export const eventsAcceptedSchema = z.object({
  accepted: z.array(z.string()).openapi({
    description:
      "Ids stored durably and queued for the next batch (runs of 10+ digits masked)",
  }),
  duplicates: z.array(z.string()).openapi({
    description:
      "Ids received before with the same content: acknowledged, not processed again",
  }),
  refused: z.array(problemItemSchema).openapi({
    description:
      "Events refused, with their position and reason; an id received before with other content is refused with the reason `conflict` in its text, the first kept",
  }),
}).openapi("EventsAccepted");

export const uploadAcceptedSchema = z.object({
  uploadId: z.string(),
  status: z.enum(["pending", "done", "failed", "dead"]),
  bytes: z.number().int(),
  statusUrl: z.string(),
}).openapi("UploadAccepted");

export const uploadStatusSchema = z.object({
  id: z.string(),
  status: z.enum(["pending", "done", "failed", "dead"]),
  format: z.enum(["csv", "ndjson"]),
  receivedAt: z.string(),
  bytes: z.number().int(),
  attempts: z.number().int(),
  lastError: z.string().optional(),
  result: z.object({
    runId: z.string().optional(),
    exitCode: z.number().int(),
    members: z.record(z.string(), z.number()),
    stoppedBecause: z.string().optional(),
    problems: z.array(z.record(z.string(), z.unknown())),
  }).optional(),
}).openapi("UploadStatus");

export const offeringsAcceptedSchema = z.object({
  id: z.string(),
  status: z.literal("pending"),
}).openapi("OfferingsAccepted");

export const offeringsBodySchema = z.record(z.string(), z.unknown()).openapi(
  "Offerings",
  {
    description:
      "The offerings file (docs/input-formats.md): `{ organizations: [...] }`",
  },
);

export const healthSchema = z.object({
  status: z.literal("ok"),
  version: z.string(),
}).openapi("Health");

export const statusSchema = z.object({
  events: z.object({ pending: z.number().int(), dead: z.number().int() }),
  deadLetters: z.array(z.object({
    id: z.string(),
    type: z.string(),
    nationalId: z.string().openapi({ description: "Masked" }),
    organizationNumber: z.string(),
    receivedAt: z.string(),
    attempts: z.number().int(),
    lastError: z.string().optional(),
  })),
  uploads: z.array(z.object({
    id: z.string(),
    status: z.string(),
    receivedAt: z.string(),
    attempts: z.number().int(),
  })),
  offerings: z.object({
    id: z.string(),
    status: z.enum(["pending", "sent", "dead"]),
    receivedAt: z.string(),
    attempts: z.number().int(),
    sentAt: z.string().optional(),
    lastError: z.string().optional(),
  }).nullable().openapi({
    description:
      "The latest offerings posted: pending or dead until sent, else the last sent; null if none",
  }),
  members: z.record(z.string(), z.record(z.string(), z.number().int()))
    .openapi({ description: "Members per status, per organization number" }),
  due: z.object({
    now: z.number().int(),
    capped: z.boolean(),
    next: z.array(z.string()),
  }),
  runs: z.array(z.record(z.string(), z.unknown())),
}).openapi("Status");
