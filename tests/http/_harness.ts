/**
 * Harness for the webhook tests: the mock of Helsenorge answering in-process
 * (or on a real socket), a state store on a KV file or `:memory:`, the
 * webhook service and its app, a clock the test moves, and helpers to sign
 * and post events.
 */

import { createMockApp, type MockApp } from "../../mock-helsenorge/app.ts";
import { HelsenorgeClient } from "../../src/helsenorge/client.ts";
import { signRequest } from "../../src/http/hmac_signature.ts";
import { createApp } from "../../src/http/app.ts";
import { syntheticNationalIds } from "../../src/identifiers/synthetic.ts";
import { createLogger } from "../../src/log.ts";
import { openStateStore, type StateStore } from "../../src/state/store.ts";
import {
  createWebhookService,
  type WebhookService,
} from "../../src/service/webhook_service.ts";
import {
  loadWebhookSettings,
  type WebhookSettings,
} from "../../src/service/webhook_settings.ts";
import { clientTarget } from "../../src/sync/sync.ts";

export const SECRET = "current-secret-0123456789abcdef";
export const OLD_SECRET = "previous-secret-0123456789abcdef";
export const TOKEN = "bearer-token-0123456789abcdef";
export const ORG = "948554062";
const BASE_URL = "http://mock.invalid/helsekontakter/api/v1";

/** A clock the test moves by hand. */
export class FakeClock {
  #ms: number;
  constructor(iso: string) {
    this.#ms = Date.parse(iso);
  }
  now = (): Date => new Date(this.#ms);
  advance(ms: number): void {
    this.#ms += ms;
  }
}

export interface WebhookHarness {
  app: ReturnType<typeof createApp>;
  service: WebhookService;
  state: StateStore;
  mock: MockApp;
  clock: FakeClock;
  /** Log lines (service and requests). */
  logs: string[];
  settings: WebhookSettings;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** KV file; default `:memory:`. */
  path?: string;
  /** A mock to share (e.g. across a restart). */
  mock?: MockApp;
  env?: Record<string, string>;
  /** Real clock instead of the fake one (socket and load runs). */
  realClock?: boolean;
  /** Wrap the client's fetch (fail calls, count them). */
  wrapFetch?: (f: typeof fetch) => typeof fetch;
  concurrency?: number;
  /** Send to this API base URL with the real fetch (a mock on a socket). */
  baseUrl?: string;
}

export async function createWebhookHarness(
  options: HarnessOptions = {},
): Promise<WebhookHarness> {
  const clock = new FakeClock("2026-06-15T08:00:00.000Z");
  const now = options.realClock ? () => new Date() : clock.now;
  const logs: string[] = [];
  const log = createLogger({ sink: (line) => logs.push(line), now });
  const mock = options.mock ??
    createMockApp({ notConsentedFraction: 0, log: () => {} });
  const inProcess: typeof fetch = (input, init) =>
    Promise.resolve(mock.app.request(input, init));
  const client = new HelsenorgeClient({
    baseUrl: options.baseUrl ?? BASE_URL,
    fetch: (options.wrapFetch ?? ((f) => f))(
      options.baseUrl ? globalThis.fetch : inProcess,
    ),
    retry: { maxAttempts: 1 },
    sleep: () => Promise.resolve(),
  });
  const state = await openStateStore({ path: options.path ?? ":memory:", now });
  const settings = loadWebhookSettings({
    MEDLEMSBRO_WEBHOOK_SECRETS: `${SECRET},${OLD_SECRET}`,
    MEDLEMSBRO_WEBHOOK_TOKENS: TOKEN,
    MEDLEMSBRO_WEBHOOK_RETRY_BASE_MS: "1000",
    ...options.env,
  });
  const service = createWebhookService({
    settings,
    state,
    target: clientTarget(client),
    rules: { allowSynthetic: true },
    environment: "mock",
    log,
    lease: { holder: "test:webhook", name: "sync:mock", ttlMs: 60_000 },
    batchSize: 200,
    concurrency: options.concurrency ?? 2,
    now,
  });
  const app = createApp({ webhooks: service, log, now });
  return {
    app,
    service,
    state,
    mock,
    clock,
    logs,
    settings,
    async close() {
      await service.close();
      state.close();
    },
  };
}

/** Distinct synthetic national ids. */
export function nationalIds(count: number, offset = 0): string[] {
  const out: string[] = [];
  for (const id of syntheticNationalIds({ offset })) {
    out.push(id);
    if (out.length === count) break;
  }
  return out;
}

/** A joined event for a national id. */
export function joined(id: string, nationalId: string, extra = {}) {
  return {
    id,
    type: "joined",
    nationalId,
    organizationNumber: "948 554 062",
    start: "2026-01-01",
    end: "2026-12-31",
    ...extra,
  };
}

/** Headers for a signed JSON POST of `body` to `path` at `at`. */
export async function signedJson(
  body: string,
  at: Date,
  options: { path?: string; secret?: string } = {},
): Promise<Record<string, string>> {
  const { path = "/webhooks/members", secret = SECRET } = options;
  return {
    "content-type": "application/json",
    ...(await signRequest(secret, { method: "POST", path, body }, at)),
  };
}

/** Headers for a signed GET of `path` (with its query) at `at`. */
export async function signedGet(
  path: string,
  at: Date,
  secret = SECRET,
): Promise<Record<string, string>> {
  return await signRequest(secret, { method: "GET", path }, at);
}

/** POST a signed JSON body to the app in-process. */
export async function postSigned(
  h: WebhookHarness,
  path: string,
  value: unknown,
  options: { secret?: string; at?: Date; headers?: Record<string, string> } =
    {},
): Promise<Response> {
  const body = typeof value === "string" ? value : JSON.stringify(value);
  return await h.app.request(path, {
    method: "POST",
    body,
    headers: {
      ...(await signedJson(body, options.at ?? h.clock.now(), {
        path,
        secret: options.secret,
      })),
      ...options.headers,
    },
  });
}

/** Patients the mock holds, and the member entries it was sent in all. */
export function mockTotals(mock: MockApp) {
  const patients = mock.store.list("Patient");
  const entries = mock.store.calls().filter((c) => c.step === "members")
    .reduce((sum, c) => sum + c.entries, 0);
  const calls = mock.store.calls().filter((c) => c.step === "members").length;
  return { patients: patients.length, entries, calls };
}
