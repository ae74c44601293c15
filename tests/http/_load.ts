/**
 * A bounded load run against a running service on 127.0.0.1: the webhook
 * app on a real socket with its KV queue consumer, the mock of Helsenorge on
 * another socket, and `clients` concurrent callers posting signed batches of
 * events (plus a few redeliveries). It stops by itself: when every event is
 * at the mock, or when `timeoutMs` is over (then it reports what was missing).
 */

import { startMock } from "../../mock-helsenorge/server.ts";
import { signRequest } from "../../src/http/hmac_signature.ts";
import {
  createWebhookHarness,
  joined,
  nationalIds,
  SECRET,
} from "./_harness.ts";

export interface LoadOptions {
  events: number;
  clients: number;
  /** Events per request. @default 5 */
  perRequest?: number;
  /** Share of requests sent a second time (redeliveries). @default 0.02 */
  redeliveryShare?: number;
  /** Give up after this long. @default 120000 */
  timeoutMs?: number;
  flushSize?: number;
  flushAgeMs?: number;
}

export interface LoadFigures {
  events: number;
  clients: number;
  requests: number;
  redeliveries: number;
  acceptedIds: number;
  duplicatesAcknowledged: number;
  errors: number;
  /** Statuses other than 202, by count. */
  statuses: Record<number, number>;
  postingMs: number;
  drainedMs: number;
  latencyMs: { p50: number; p99: number; max: number };
  mock: {
    patients: number;
    entries: number;
    calls: number;
    maxVersion: number;
    meanEntriesPerCall: number;
  };
  flushes: number;
  timedOut: boolean;
}

export async function runLoad(options: LoadOptions): Promise<LoadFigures> {
  const {
    events,
    clients,
    perRequest = 5,
    redeliveryShare = 0.02,
    timeoutMs = 120_000,
    flushSize = 500,
    flushAgeMs = 200,
  } = options;
  const deadline = Date.now() + timeoutMs;
  const dir = await Deno.makeTempDir({ prefix: "medlemsbro-load-" });
  const mock = await startMock({ notConsentedFraction: 0, log: () => {} });
  const h = await createWebhookHarness({
    path: `${dir}/state.sqlite`,
    realClock: true,
    baseUrl: mock.baseUrl,
    env: {
      MEDLEMSBRO_WEBHOOK_FLUSH_SIZE: String(flushSize),
      MEDLEMSBRO_WEBHOOK_FLUSH_AGE_MS: String(flushAgeMs),
    },
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    h.app.fetch,
  );
  const path = "/webhooks/members";
  const url = `http://127.0.0.1:${server.addr.port}${path}`;

  try {
    await h.service.listen();
    const ids = nationalIds(events);
    const batches: { id: string; nationalId: string }[][] = [];
    for (let i = 0; i < events; i += perRequest) {
      batches.push(
        ids.slice(i, i + perRequest).map((nationalId, k) => ({
          id: `load-${i + k}`,
          nationalId,
        })),
      );
    }

    let next = 0;
    let requests = 0;
    let redeliveries = 0;
    let errors = 0;
    let acceptedIds = 0;
    let duplicatesAcknowledged = 0;
    const latencies: number[] = [];
    const statuses: Record<number, number> = {};
    const post = async (
      batch: { id: string; nationalId: string }[],
      redelivery = false,
    ) => {
      // A redelivery is signed again; its events come in another order, as
      // a sender's retry queue may send them (an identical body signed in
      // the same second would be a replay, refused with 409).
      const events = batch.map((e) => joined(e.id, e.nationalId));
      if (redelivery) events.reverse();
      const body = JSON.stringify(events);
      const started = performance.now();
      const response = await fetch(url, {
        method: "POST",
        body,
        headers: {
          "content-type": "application/json",
          ...(await signRequest(
            SECRET,
            { method: "POST", path, body },
            new Date(),
          )),
        },
      });
      latencies.push(performance.now() - started);
      requests++;
      if (response.status !== 202) {
        errors++;
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        await response.body?.cancel();
        return;
      }
      const answer = await response.json();
      acceptedIds += answer.accepted.length;
      duplicatesAcknowledged += answer.duplicates.length;
    };

    const postingStarted = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        while (next < batches.length && Date.now() < deadline) {
          const batch = batches[next++];
          await post(batch);
          // A few redeliveries, signed again, as a sender that lost the answer.
          if ((next * 7919 + client) % 100 < redeliveryShare * 100) {
            redeliveries++;
            await post(batch, true);
          }
        }
      }),
    );
    const postingMs = performance.now() - postingStarted;

    let timedOut = false;
    for (;;) {
      const held = mock.store.list("Patient").length;
      const { pending } = (await h.service.status()).events;
      if (held >= events && pending === 0) break;
      if (Date.now() >= deadline) {
        timedOut = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const drainedMs = performance.now() - postingStarted;

    const calls = mock.store.calls().filter((c) => c.step === "members");
    const entries = calls.reduce((sum, c) => sum + c.entries, 0);
    const patients = mock.store.list("Patient");
    let maxVersion = 0;
    for (const id of ids) {
      maxVersion = Math.max(
        maxVersion,
        mock.store.find("Patient", id)?.versionId ?? 0,
      );
    }
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      Math.round(
        latencies[
          Math.min(latencies.length - 1, Math.floor(q * latencies.length))
        ] ?? 0,
      );
    return {
      events,
      clients,
      requests,
      redeliveries,
      acceptedIds,
      duplicatesAcknowledged,
      errors,
      statuses,
      postingMs: Math.round(postingMs),
      drainedMs: Math.round(drainedMs),
      latencyMs: { p50: at(0.5), p99: at(0.99), max: at(1) },
      mock: {
        patients: patients.length,
        entries,
        calls: calls.length,
        maxVersion,
        meanEntriesPerCall: Math.round(entries / Math.max(calls.length, 1)),
      },
      flushes: h.logs.filter((l) => l.includes('"msg":"flush"')).length,
      timedOut,
    };
  } finally {
    await server.shutdown();
    await h.close();
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
}
