/**
 * A seeded operator service for the operator page's tests and screenshot:
 * the mock of Helsenorge in-process, a state store on a temp KV file, three
 * past nightly runs (stored, not consented, rejected rows, simulated
 * response times), accepted offerings, two webhook events waiting and one
 * dead-lettered, and the app with the operator page and one user.
 */

import { createMockApp, type MockApp } from "../../mock-helsenorge/app.ts";
import { HelsenorgeClient } from "../../src/helsenorge/client.ts";
import { createApp } from "../../src/http/app.ts";
import {
  hashPassword,
  parsePasswordHash,
} from "../../src/http/operator/password.ts";
import type { OperatorSettings } from "../../src/http/operator/settings.ts";
import { syntheticNationalIds } from "../../src/identifiers/synthetic.ts";
import type { MemberEntry } from "../../src/input/member.ts";
import { readOfferings } from "../../src/input/offerings.ts";
import { createLogger } from "../../src/log.ts";
import {
  countKey,
  deadKey,
  type EventRecord,
} from "../../src/service/event_store.ts";
import {
  createWebhookService,
  type WebhookService,
} from "../../src/service/webhook_service.ts";
import { loadWebhookSettings } from "../../src/service/webhook_settings.ts";
import { openStateStore, type StateStore } from "../../src/state/store.ts";
import { clientTarget, runSync } from "../../src/sync/sync.ts";

export const USER = "koordinator";
export const PASSWORD = "riktig-hest-batteri-stift";
export const ORG_A = "948554062";
export const ORG_B = "974760673";
const SESSION_SECRET = "operator-test-session-secret-0123456789";
const BASE_URL = "http://mock.invalid/helsekontakter/api/v1";
const HOUR = 3_600_000;

/** A clock the seed moves by hand, then leaves near the real time. */
class SeedClock {
  ms: number;
  live = false;
  constructor(ms: number) {
    this.ms = ms;
  }
  now = (): Date => new Date(this.live ? Date.now() : this.ms);
}

export interface SeededService {
  app: ReturnType<typeof createApp>;
  service: WebhookService;
  state: StateStore;
  mock: MockApp;
  /** Every national id the seed used, full: none may appear in output. */
  nationalIds: string[];
  /** The not-consented member the tests retry, and its masked form. */
  retryTarget: { nationalId: string; masked: string; org: string };
  /** Let the mock store the retry target from now on (it consents). */
  consent(): Promise<void>;
  logs: string[];
  close(): Promise<void>;
}

/** Build and seed; `dir` holds the KV file. */
export async function seedOperatorService(
  dir: string,
): Promise<SeededService> {
  const ids = [...take(syntheticNationalIds({ offset: 500, dnrShare: 0 }), 40)];
  const notConsented = [ids[3], ids[11], ids[17], ids[26], ids[33]];
  const mock = createMockApp({
    notConsentedFraction: 0,
    notConsented,
    log: () => {},
  });

  const clock = new SeedClock(Date.now() - 3 * 24 * HOUR);
  const now = clock.now;

  // Response times are simulated: the client's clock jumps by the time a
  // call "took", so the chart has realistic figures without waiting.
  let skew = 0;
  let callNo = 0;
  const inProcess: typeof fetch = async (input, init) => {
    const response = await mock.app.request(input, init);
    callNo++;
    const took = 120 + ((callNo * 733) % 1900);
    skew += took;
    if (!clock.live) clock.ms += took;
    return response;
  };
  const client = new HelsenorgeClient({
    baseUrl: BASE_URL,
    fetch: inProcess,
    retry: { maxAttempts: 1 },
    sleep: () => Promise.resolve(),
    now: () => Date.now() + skew,
  });
  const target = clientTarget(client);

  const logs: string[] = [];
  const log = createLogger({ sink: (line) => logs.push(line), now });
  const state = await openStateStore({ path: `${dir}/state.sqlite`, now });
  const lease = { holder: "seed", name: "sync:mock", ttlMs: 60_000 };
  const offerings = await readOfferings(
    new URL("../../fixtures/helsetilbud.json", import.meta.url).pathname,
  );

  // Three nightly runs at 02:30 Oslo-ish, the last one last night.
  const night = (daysAgo: number) => {
    const d = new Date(Date.now() - daysAgo * 24 * HOUR);
    d.setUTCHours(1, 30, 0, 0);
    return +d;
  };
  const rows = (list: string[][]) =>
    entries(list.map(([id, org, start, end]) => ({ id, org, start, end })));
  const member = (i: number, org = i % 3 === 0 ? ORG_B : ORG_A) => [
    ids[i],
    org,
    "2026-01-01",
    "2026-12-31",
  ];
  const badCheckDigit = ids[38].slice(0, 10) +
    String((Number(ids[38][10]) + 1) % 10);

  clock.ms = night(3);
  await runSync({
    target,
    offerings,
    members: rows([...Array(30).keys()].map((i) => member(i))),
    rules: { allowSynthetic: true },
    state,
    lease,
    trigger: "cron",
    batchSize: 6,
    now,
  });

  clock.ms = night(2);
  await runSync({
    target,
    offerings,
    members: rows([
      ...[...Array(34).keys()].map((i) => member(i)),
      [badCheckDigit, ORG_A, "2026-01-01", "2026-12-31"],
    ]),
    rules: { allowSynthetic: true },
    state,
    lease,
    trigger: "cron",
    batchSize: 6,
    now,
  });

  clock.ms = night(1);
  await runSync({
    target,
    offerings,
    members: rows([
      ...[...Array(36).keys()].map((i) => member(i)),
      [badCheckDigit, ORG_A, "2026-01-01", "2026-12-31"],
      [ids[36], ORG_B, "2026-05-01", "2026-02-01"],
      [ids[37], "948554061", "2026-01-01", "2026-12-31"],
      [ids[39], ORG_A, "2026-01-01", ""],
    ]),
    rules: { allowSynthetic: true },
    state,
    lease,
    trigger: "cron",
    batchSize: 6,
    now,
  });

  // From here on the real clock: the page shows today as today.
  clock.live = true;

  const settings = loadWebhookSettings({
    MEDLEMSBRO_WEBHOOK_TOKENS: "operator-test-token-0123456789",
  });
  const service = createWebhookService({
    settings,
    state,
    target,
    rules: { allowSynthetic: true },
    environment: "mock",
    log,
    lease: { holder: "test:webhook", name: "sync:mock", ttlMs: 60_000 },
    batchSize: 200,
    concurrency: 2,
    now,
  });

  // Two events waiting for a flush, one dead-lettered.
  await service.acceptEvents([
    event("evt-joined-1", ids[36], ORG_B),
    event("evt-joined-2", ids[37], ORG_A),
  ]);
  const dead: EventRecord = {
    ...event("evt-left-0042", ids[35], ORG_A),
    type: "left",
    seq: `${new Date(Date.now() - 5 * HOUR).toISOString()}#000000001`,
    receivedAt: new Date(Date.now() - 5 * HOUR).toISOString(),
    attempts: 8,
    nextAttemptAt: new Date(Date.now() - HOUR).toISOString(),
    lastError: "member calls stopped: Helsenorge did not answer in 15 s",
  };
  await state.kv.atomic()
    .set(deadKey(dead.seq, dead.id), dead)
    .sum(countKey("dead"), 1n)
    .commit();

  const operator: OperatorSettings = {
    users: [{
      name: USER,
      password: parsePasswordHash(
        await hashPassword(PASSWORD, { iterations: 1000 }),
      )!,
    }],
    sessionSecret: SESSION_SECRET,
    randomSecret: false,
    sessionTtlMs: 8 * HOUR,
  };
  const app = createApp({ webhooks: service, log, now, operator });

  const target0 = notConsented[0];
  const orgOf = (i: number) => i % 3 === 0 ? ORG_B : ORG_A;
  return {
    app,
    service,
    state,
    mock,
    nationalIds: [...ids, badCheckDigit],
    retryTarget: {
      nationalId: target0,
      masked: `${target0.slice(0, 6)}*****`,
      org: orgOf(ids.indexOf(target0)),
    },
    async consent() {
      const response = await mock.app.request("/_mock/config", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ notConsented: notConsented.slice(1) }),
      });
      if (!response.ok) {
        throw new Error(`the mock refused its config: ${response.status}`);
      }
    },
    logs,
    async close() {
      await service.close();
      state.close();
    },
  };
}

function event(id: string, nationalId: string, org: string) {
  return {
    id,
    type: "joined" as const,
    nationalId,
    idSystem: "urn:oid:2.16.578.1.12.4.1.4.1",
    organizationNumber: org,
    start: "2026-01-01",
    end: "2026-12-31",
  };
}

async function* entries(
  list: { id: string; org: string; start: string; end: string }[],
): AsyncGenerator<MemberEntry> {
  for (const [i, m] of list.entries()) {
    const cell = (value: string, column: string) =>
      value === "" ? undefined : { value, column };
    yield {
      record: {
        row: i + 2,
        nationalId: cell(m.id, "Fødselsnummer"),
        organizationNumber: cell(m.org, "Orgnr"),
        start: cell(m.start, "Medlem fra"),
        end: cell(m.end, "Medlem til"),
      },
    };
  }
}

function* take<T>(source: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  for (const item of source) {
    yield item;
    if (--n === 0) return;
  }
}
