/**
 * Whole member lists and offerings posted to the webhook: kept in Deno KV
 * before the 202, then run through the sync core by the queue consumer.
 *
 * A list is stored in chunks under its upload id (KV values hold at most
 * 64 KiB; Deno Deploy has no writable disk), streamed back to
 * `readMembers({ stream, name })` and run like `sync --full`: the safety
 * brake that refuses to end too many memberships applies.
 *
 * | key | value |
 * | --- | --- |
 * | `["wh", "upload", id]` | {@linkcode UploadRecord} |
 * | `["wh", "upload-chunk", id, n]` | up to 60 000 bytes of the body |
 * | `["wh", "offerings"]` | the latest offerings posted, until sent |
 * | `["wh", "offerings-sent"]` | {@linkcode OfferingsOutcome} of the last offerings sent |
 *
 * @module
 */

import { maskIdsInText } from "../identifiers/mask.ts";
import { readMembers } from "../input/read_members.ts";
import type { Offerings } from "../input/offering.ts";
import { InputError } from "../input/problem.ts";
import type { SyncReport } from "../sync/report.ts";
import { type HeldLease, oneRunLease, takeLease } from "../sync/run_scope.ts";
import { runSync } from "../sync/sync.ts";
import type { FlushContext } from "./flush.ts";
import { tuningOf } from "../sync/tuning.ts";

/** Bytes per chunk: under KV's 64 KiB value limit. */
const CHUNK_BYTES = 60_000;
/** Chunks per atomic write: under the 800 KiB per operation limit. */
const CHUNKS_PER_OP = 12;

export type UploadFormat = "csv" | "ndjson";

export interface UploadRecord {
  id: string;
  format: UploadFormat;
  receivedAt: string;
  bytes: number;
  chunks: number;
  requestId?: string;
  status: "pending" | "done" | "failed" | "dead";
  attempts: number;
  nextAttemptAt: string;
  lastError?: string;
  /** The run's counters once it ran (masked problems only). */
  result?: {
    runId?: string;
    exitCode: number;
    members: SyncReport["members"];
    stoppedBecause?: string;
    problems: SyncReport["problems"];
  };
}

export const uploadKey = (id: string) => ["wh", "upload", id];
const chunkKey = (id: string, n: number) => ["wh", "upload-chunk", id, n];
export const offeringsKey = ["wh", "offerings"];
export const offeringsSentKey = ["wh", "offerings-sent"];

/** How the latest offerings posted went, for GET /status. */
export interface OfferingsOutcome {
  id: string;
  status: "pending" | "sent" | "dead";
  receivedAt: string;
  attempts: number;
  /** When Helsenorge took them (status `sent`). */
  sentAt?: string;
  lastError?: string;
}

/**
 * Store a body in chunks, then its record last: a crash in between leaves
 * only chunks without a record, which nothing reads.
 */
export async function storeUpload(
  kv: Deno.Kv,
  body: Uint8Array,
  options: { format: UploadFormat; now: Date; requestId?: string },
): Promise<UploadRecord> {
  const id = crypto.randomUUID();
  const chunks = Math.ceil(body.length / CHUNK_BYTES);
  for (let n = 0; n < chunks; n += CHUNKS_PER_OP) {
    const op = kv.atomic();
    for (let k = n; k < Math.min(n + CHUNKS_PER_OP, chunks); k++) {
      op.set(
        chunkKey(id, k),
        body.slice(k * CHUNK_BYTES, (k + 1) * CHUNK_BYTES),
      );
    }
    const written = await op.commit();
    if (!written.ok) throw new Error("could not store the upload");
  }
  const record: UploadRecord = {
    id,
    format: options.format,
    receivedAt: options.now.toISOString(),
    bytes: body.length,
    chunks,
    requestId: options.requestId,
    status: "pending",
    attempts: 0,
    nextAttemptAt: options.now.toISOString(),
  };
  await kv.set(uploadKey(id), record);
  return record;
}

/** The body back, read one chunk at a time. */
function uploadStream(
  kv: Deno.Kv,
  record: UploadRecord,
): ReadableStream<Uint8Array> {
  let n = 0;
  return new ReadableStream({
    async pull(controller) {
      if (n >= record.chunks) return controller.close();
      const chunk = await kv.get<Uint8Array>(chunkKey(record.id, n++));
      if (chunk.value === null) {
        controller.error(new Error(`upload chunk ${n - 1} is missing`));
      } else controller.enqueue(chunk.value);
    },
  });
}

/**
 * Run a stored upload as a full sync, holding the lease from reading its
 * record to writing its outcome, so it runs once however many messages
 * name it. Busy (another run holds the lease): left pending. Calls that
 * failed: tried again after a back-off, dead after `maxAttempts`. Anything
 * else (done, refused by the safety brake, an unreadable file) is final and
 * kept in the record for /status.
 */
export async function processUpload(
  context: FlushContext & { maxEndShare?: number },
  id: string,
): Promise<UploadRecord | undefined> {
  const record = (await context.state.kv.get<UploadRecord>(uploadKey(id)))
    .value;
  if (record === null || record.status !== "pending") {
    return record ?? undefined;
  }
  return await underLease(
    context,
    record,
    (lease) => uploadUnderLease(context, lease, id),
  );
}

async function uploadUnderLease(
  context: FlushContext & { maxEndShare?: number },
  lease: HeldLease,
  id: string,
): Promise<UploadRecord | undefined> {
  const { state, now, log } = context;
  const kv = state.kv;
  // Read again under the lease: another run may have settled it meanwhile.
  const entry = await kv.get<UploadRecord>(uploadKey(id));
  const record = entry.value;
  if (record === null || record.status !== "pending") {
    return record ?? undefined;
  }

  let report: SyncReport | undefined;
  let error: string | undefined;
  try {
    const input = await readMembers({
      stream: uploadStream(kv, record),
      name: `upload-${id}.${record.format}`,
    }, { endColumnOptional: context.rules.defaultEnd !== undefined });
    report = await runSync({
      target: context.target,
      members: input.entries,
      rules: context.rules,
      state,
      full: true,
      maxEndShare: context.maxEndShare,
      heldLease: lease,
      trigger: "webhook-full",
      ...tuningOf(context),
      environment: context.environment,
      input: {
        format: input.format,
        encoding: input.encoding,
        delimiter: input.delimiter,
      },
      now,
    });
  } catch (cause) {
    if (!(cause instanceof InputError)) throw cause;
    error = maskIdsInText(cause.message);
  }
  // Another run may have the lease now: leave the upload for the next try.
  if (lease.lost) return record;

  const at = now();
  const next: UploadRecord = { ...record, attempts: record.attempts + 1 };
  if (error !== undefined) {
    next.status = "failed";
    next.lastError = error;
  } else if (report) {
    next.result = {
      runId: report.runId,
      exitCode: report.exitCode,
      members: report.members,
      stoppedBecause: report.stoppedBecause,
      problems: report.problems.slice(0, 100),
    };
    const callsFailed = report.members.failed > 0 ||
      report.members.notSent > 0;
    if (!callsFailed) next.status = "done";
    else if (next.attempts >= context.maxAttempts) next.status = "dead";
    else {
      next.lastError = report.stoppedBecause;
      next.nextAttemptAt = new Date(
        +at + context.retryBaseMs * 2 ** record.attempts,
      ).toISOString();
    }
  }
  const op = kv.atomic().check(entry).set(uploadKey(id), next);
  if (next.status !== "pending") {
    for (let n = 0; n < record.chunks; n++) op.delete(chunkKey(id, n));
  }
  await op.commit();
  log.info("upload processed", {
    upload: id,
    status: next.status,
    runId: report?.runId,
    members: report?.members,
    stoppedBecause: report?.stoppedBecause,
    error,
  });
  return next;
}

/** Uploads still waiting, oldest first. */
export async function pendingUploads(kv: Deno.Kv): Promise<UploadRecord[]> {
  const out: UploadRecord[] = [];
  for await (
    const entry of kv.list<UploadRecord>({ prefix: ["wh", "upload"] })
  ) {
    if (entry.value.status === "pending") out.push(entry.value);
  }
  return out.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
}

/** Offerings posted and not yet sent. */
export interface PendingOfferings {
  id: string;
  offerings: Offerings;
  receivedAt: string;
  attempts: number;
  nextAttemptAt: string;
  lastError?: string;
  status: "pending" | "dead";
}

/** Keep posted offerings for the consumer; a newer post replaces them. */
export async function storeOfferings(
  kv: Deno.Kv,
  offerings: Offerings,
  now: Date,
): Promise<PendingOfferings> {
  const record: PendingOfferings = {
    id: crypto.randomUUID(),
    offerings,
    receivedAt: now.toISOString(),
    attempts: 0,
    nextAttemptAt: now.toISOString(),
    status: "pending",
  };
  await kv.set(offeringsKey, record);
  return record;
}

/**
 * Send the posted offerings, holding the lease from reading them to writing
 * the outcome; on failure keep them with a back-off. Busy: left as they are.
 */
export async function processOfferings(
  context: FlushContext,
): Promise<PendingOfferings | undefined> {
  const { state, now } = context;
  const record = (await state.kv.get<PendingOfferings>(offeringsKey)).value;
  if (record === null || record.status !== "pending") return undefined;
  if (Date.parse(record.nextAttemptAt) > +now()) return record;
  return await underLease(
    context,
    record,
    (lease) => offeringsUnderLease(context, lease),
  );
}

async function offeringsUnderLease(
  context: FlushContext,
  lease: HeldLease,
): Promise<PendingOfferings | undefined> {
  const { state, now, log } = context;
  // Read again under the lease: another run may have sent them meanwhile.
  const entry = await state.kv.get<PendingOfferings>(offeringsKey);
  const record = entry.value;
  if (record === null || record.status !== "pending") return undefined;
  if (Date.parse(record.nextAttemptAt) > +now()) return record;

  const report = await runSync({
    target: context.target,
    offerings: record.offerings,
    rules: context.rules,
    state,
    heldLease: lease,
    trigger: "webhook",
    environment: context.environment,
    now,
  });
  if (lease.lost) return record;
  log.info("offerings processed", {
    offerings: record.id,
    status: report.offerings.status,
    error: report.offerings.error,
  });
  // Checked: offerings posted meanwhile stay for the next round.
  if (report.offerings.status === "sent") {
    const sent: OfferingsOutcome = {
      id: record.id,
      status: "sent",
      receivedAt: record.receivedAt,
      attempts: record.attempts + 1,
      sentAt: now().toISOString(),
    };
    await state.kv.atomic().check(entry).delete(offeringsKey)
      .set(offeringsSentKey, sent).commit();
    return undefined;
  }
  const attempts = record.attempts + 1;
  const next: PendingOfferings = {
    ...record,
    attempts,
    lastError: report.offerings.error,
    status: attempts >= context.maxAttempts ? "dead" : "pending",
    nextAttemptAt: new Date(
      +now() + context.retryBaseMs * 2 ** record.attempts,
    ).toISOString(),
  };
  await state.kv.atomic().check(entry).set(offeringsKey, next).commit();
  return next;
}

/**
 * Do `work` holding a lease of its own; when another run holds the lease,
 * answer `busy` (the record as it was) without doing it.
 */
async function underLease<T, R>(
  context: FlushContext,
  busy: R,
  work: (lease: HeldLease) => Promise<T>,
): Promise<T | R> {
  const taken = await takeLease(
    context.state,
    oneRunLease(context.lease),
    context.now,
  );
  if (!taken.ok) return busy;
  try {
    return await work(taken.lease);
  } finally {
    await taken.lease.release();
  }
}

/**
 * The latest offerings posted: waiting or dead if not yet sent, else the
 * last ones sent; none if none were ever posted.
 */
export async function offeringsOutcome(
  kv: Deno.Kv,
): Promise<OfferingsOutcome | undefined> {
  const [waiting, sent] = await kv.getMany<
    [PendingOfferings, OfferingsOutcome]
  >([offeringsKey, offeringsSentKey]);
  if (waiting.value) {
    const { id, status, receivedAt, attempts, lastError } = waiting.value;
    return {
      id,
      status,
      receivedAt,
      attempts,
      ...(lastError === undefined
        ? {}
        : { lastError: maskIdsInText(lastError) }),
    };
  }
  return sent.value ?? undefined;
}
