/**
 * The webhook service behind the HTTP routes: accepts events, lists and
 * offerings durably (KV write and `kv.enqueue` before the 202), and runs the
 * queue consumer that flushes them through the sync core.
 *
 * Queue messages are nudges, not data: `{ kind: "flush" }`,
 * `{ kind: "upload", id }`, `{ kind: "offerings" }`. The data is in KV, so
 * a lost or repeated nudge loses or repeats nothing; on start the service
 * nudges itself once to pick up what a stopped process left.
 *
 * @example
 * ```ts
 * const service = createWebhookService({ ... });
 * service.listen();              // kv.listenQueue, on Deno Deploy too
 * await service.drain();         // tests: flush everything now
 * ```
 *
 * @module
 */

import { maskIdsInText, maskNationalId } from "../identifiers/mask.ts";
import type { Offerings } from "../input/offering.ts";
import type { StatusSummary } from "../state/status.ts";
import {
  acceptEvents,
  type AcceptResult,
  eventCounts,
  listDead,
  type MembershipEvent,
} from "./event_store.ts";
import { type FlushContext, flushPending, type FlushResult } from "./flush.ts";
import {
  type OfferingsOutcome,
  offeringsOutcome,
  pendingUploads,
  processOfferings,
  processUpload,
  storeOfferings,
  storeUpload,
  type UploadFormat,
  uploadKey,
  type UploadRecord,
} from "./uploads.ts";
import { RunGate } from "./run_gate.ts";
import type { WebhookSettings } from "./webhook_settings.ts";
import { errorMessage } from "../errors.ts";

/** A queue message: what to look at; the data itself is in KV. */
export type Nudge =
  | { kind: "flush" }
  | { kind: "upload"; id: string }
  | { kind: "offerings" };

export interface WebhookServiceOptions extends
  Omit<
    FlushContext,
    "flushSize" | "flushAgeMs" | "maxAttempts" | "retryBaseMs" | "doneTtlMs"
  > {
  settings: WebhookSettings;
  /** Share of an organization a full upload may end. @default 0.2 */
  maxEndShare?: number;
  /** How long settled event ids are remembered. @default 30 days */
  doneTtlMs?: number;
  /**
   * The process's runs take turns here (the cron jobs' gate, from the
   * service context). @default a gate of this service's own
   */
  gate?: RunGate;
}

/** What GET /status shows about the webhooks. */
export interface WebhookStatus {
  events: { pending: number; dead: number };
  deadLetters: {
    id: string;
    type: string;
    nationalId: string;
    organizationNumber: string;
    receivedAt: string;
    attempts: number;
    lastError?: string;
  }[];
  uploads: Pick<UploadRecord, "id" | "status" | "receivedAt" | "attempts">[];
  /** The latest offerings posted and how they went; null if none. */
  offerings: OfferingsOutcome | null;
  members: StatusSummary["organizations"];
  due: StatusSummary["due"];
  runs: StatusSummary["runs"];
}

export interface WebhookService {
  readonly settings: WebhookSettings;
  readonly context: FlushContext & { maxEndShare?: number };
  acceptEvents(
    events: readonly MembershipEvent[],
    requestId?: string,
  ): Promise<AcceptResult>;
  acceptUpload(
    body: Uint8Array,
    format: UploadFormat,
    requestId?: string,
  ): Promise<UploadRecord>;
  acceptOfferings(offerings: Offerings): Promise<{ id: string }>;
  /**
   * Handle one queue message. Its run waits for the process's run going on
   * (one at a time); a flush nudge during a flush is folded into it.
   */
  handle(message: Nudge): Promise<void>;
  /**
   * Flush until nothing is due (ignores the size and age limits), each
   * flush in its turn after the process's run going on.
   */
  drain(): Promise<FlushResult[]>;
  status(): Promise<WebhookStatus>;
  /** Start consuming the KV queue; also nudges once for leftovers. */
  listen(): Promise<void>;
  /**
   * Stop taking queue messages and wait for a flush in progress; the KV
   * itself is closed by its owner afterwards.
   */
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

/** Build the service from its flush context and settings; no I/O until used. */
export function createWebhookService(
  options: WebhookServiceOptions,
): WebhookService {
  const {
    settings,
    doneTtlMs = 30 * DAY_MS,
    gate = new RunGate(),
    ...rest
  } = options;
  const context = {
    ...rest,
    flushSize: settings.flushSize,
    flushAgeMs: settings.flushAgeMs,
    maxAttempts: settings.maxAttempts,
    retryBaseMs: settings.retryBaseMs,
    doneTtlMs,
  };
  const { state, log, now } = context;
  const kv = state.kv;

  // When the earliest flush nudge this process enqueued will fire.
  let nudgeAt = Infinity;
  let flushing: Promise<void> | undefined;
  let again = false;
  let closed = false;
  const inFlight = new Set<Promise<unknown>>();

  const enqueueFlush = async (delayMs: number) => {
    const at = Date.now() + Math.max(0, delayMs);
    // A nudge already on its way, no later than this one, will do.
    if (nudgeAt > Date.now() && nudgeAt <= at) return;
    nudgeAt = at;
    await kv.enqueue({ kind: "flush" } satisfies Nudge, {
      delay: Math.max(0, delayMs),
    });
  };

  const flushLoop = async () => {
    let last: FlushResult;
    do {
      again = false;
      do {
        last = await gate.run(() => flushPending(context));
      } while (last.moreDue && !last.busy && !closed);
    } while (again && !closed);
    if (last.nextAt && !closed) {
      await enqueueFlush(+last.nextAt - +now() + 1);
    }
  };

  const onFlush = async () => {
    nudgeAt = Infinity;
    if (flushing) {
      again = true;
      return;
    }
    flushing = flushLoop().finally(() => flushing = undefined);
    await flushing;
  };

  const service: WebhookService = {
    settings,
    context,

    async acceptEvents(events, requestId) {
      const result = await acceptEvents(kv, events, { now: now(), requestId });
      if (result.accepted.length > 0) {
        const { pending } = await eventCounts(kv);
        await enqueueFlush(
          pending >= settings.flushSize ? 0 : settings.flushAgeMs,
        );
      }
      return result;
    },

    async acceptUpload(body, format, requestId) {
      const record = await storeUpload(kv, body, {
        format,
        now: now(),
        requestId,
      });
      await kv.enqueue({ kind: "upload", id: record.id } satisfies Nudge);
      return record;
    },

    async acceptOfferings(offerings) {
      const record = await storeOfferings(kv, offerings, now());
      await kv.enqueue({ kind: "offerings" } satisfies Nudge);
      return { id: record.id };
    },

    async handle(message) {
      if (message.kind === "flush") return await onFlush();
      if (message.kind === "upload") {
        const record = await gate.run(() => processUpload(context, message.id));
        if (record?.status === "pending") {
          const delay = Math.max(
            1000,
            Date.parse(record.nextAttemptAt) - +now(),
          );
          await kv.enqueue(message, { delay });
        }
        return;
      }
      const left = await gate.run(() => processOfferings(context));
      if (left?.status === "pending") {
        const delay = Math.max(1000, Date.parse(left.nextAttemptAt) - +now());
        await kv.enqueue(message, { delay });
      }
    },

    async drain() {
      const results: FlushResult[] = [];
      for (let round = 0; round < 10_000; round++) {
        const result = await gate.run(() =>
          flushPending(context, { force: true })
        );
        results.push(result);
        if (!result.moreDue || result.busy) break;
      }
      return results;
    },

    async status() {
      const [counts, dead, summary, uploads, offerings] = await Promise.all([
        eventCounts(kv),
        listDead(kv, 20),
        state.statusSummary(),
        pendingUploads(kv),
        offeringsOutcome(kv),
      ]);
      return {
        events: counts,
        deadLetters: dead.map((r) => ({
          id: maskIdsInText(r.id),
          type: r.type,
          nationalId: maskNationalId(r.nationalId),
          organizationNumber: r.organizationNumber,
          receivedAt: r.receivedAt,
          attempts: r.attempts,
          lastError: r.lastError,
        })),
        uploads: uploads.map(({ id, status, receivedAt, attempts }) => ({
          id,
          status,
          receivedAt,
          attempts,
        })),
        offerings: offerings ?? null,
        members: summary.organizations,
        due: summary.due,
        runs: summary.runs,
      };
    },

    async listen() {
      kv.listenQueue(async (message: unknown) => {
        if (closed) return;
        const work = service.handle(message as Nudge);
        inFlight.add(work);
        work.finally(() => inFlight.delete(work)).catch(() => {});
        try {
          await work;
        } catch (error) {
          log.error("queue message failed; KV delivers it again", {
            kind: (message as Nudge)?.kind,
            error: errorMessage(error),
          });
          throw error;
        }
      });
      // Leftovers of a stopped process: pending events and uploads.
      await kv.enqueue({ kind: "flush" } satisfies Nudge);
      for (const upload of await pendingUploads(kv)) {
        await kv.enqueue({ kind: "upload", id: upload.id } satisfies Nudge);
      }
      await kv.enqueue({ kind: "offerings" } satisfies Nudge);
    },

    async close() {
      closed = true;
      await Promise.allSettled([...inFlight, flushing]);
    },
  };
  return service;
}

/** The stored upload, for GET /webhooks/members/full/{id}. */
export async function uploadStatus(
  kv: Deno.Kv,
  id: string,
): Promise<UploadRecord | undefined> {
  return (await kv.get<UploadRecord>(uploadKey(id))).value ?? undefined;
}
