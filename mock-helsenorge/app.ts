/**
 * The bundled mock of Helsenorge's membership-services API, as a Hono app.
 *
 * It is the executable definition of docs/api-contract.md: `POST {base}` with
 * a `transaction` Bundle stores offerings (all or nothing), with a `batch`
 * Bundle stores members (each entry on its own, with a deterministic consent
 * rule). Mock-only routes under `/_mock/` show what it stores and how fast it
 * answered, and change its consent rule and faults at run time. Faults
 * (./faults.ts) add latency, 5xx, 429, hangs, resets and lost answers.
 *
 * @example
 * ```ts
 * const { app, store } = createMockApp({ notConsentedFraction: 0 });
 * const response = await app.request("/helsekontakter/api/v1", {
 *   method: "POST",
 *   headers: { "content-type": "application/fhir+json" },
 *   body: JSON.stringify(bundle),
 * });
 * ```
 *
 * @module
 */

import { type Context, Hono, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import type { MockAuth } from "./auth.ts";
import {
  type ConsentSettings,
  DEFAULT_CONSENT,
  resolveConsentSettings,
} from "./consent.ts";
import {
  droppedAnswer,
  type FaultDecision,
  FaultPlan,
  type FaultsInput,
  faultsSchema,
  parseFaults,
} from "./faults.ts";
import { processMembers } from "./members.ts";
import { processOfferings } from "./offerings.ts";
import {
  MockHttpError,
  operationOutcome,
  scrubNationalIds,
} from "./outcome.ts";
import { createMemoryStore, type MockStore } from "./store.ts";
import {
  type CallStep,
  DEFAULT_LIMITS,
  limitFor,
  summarizeCalls,
  type TimeLimits,
} from "./timing.ts";

/** The path Helsenorge serves the API under. */
export const DEFAULT_BASE_PATH = "/helsekontakter/api/v1";

const FHIR_JSON = "application/fhir+json";

/** Options for {@linkcode createMockApp}; every one has a default. */
export interface MockAppOptions {
  /**
   * Path of the API; `POST {basePath}` takes both steps.
   * @default "/helsekontakter/api/v1"
   */
  basePath?: string;
  /** Where resources and timed calls are kept. @default createMemoryStore() */
  store?: MockStore;
  /** The clock, in milliseconds since the epoch. @default Date.now */
  now?: () => number;
  /**
   * Waits for injected latency and hangs; `signal` ends a hang when the
   * client goes away. Inject with `now` to run on simulated time.
   * @default a timer
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Faults to inject (./faults.ts). @default none */
  faults?: FaultsInput;
  /**
   * Log sink: receives one JSON line per event (a breached time limit, an
   * unexpected error). @default writes the line to stderr
   */
  log?: (line: string) => void;
  /** Refuse synthetic Test Norge ids, as production does. @default false */
  production?: boolean;
  /** National ids that are never consented. @default [] */
  notConsented?: readonly string[];
  /** Share of other ids that are not consented, 0..1. @default 0.1 */
  notConsentedFraction?: number;
  /** HMAC key of the consent rule. @default "medlemsbro-mock" */
  consentKey?: string;
  /** Response-time limits. @default { offeringsMs: 3000, membersMs: 10000 } */
  limits?: Partial<TimeLimits>;
  /** Most entries one Bundle may hold; more is answered 413. @default 10000 */
  maxEntries?: number;
  /**
   * Runs before `POST {basePath}` is handled: the seam for token checks
   * (a later issue). Answer 401/403 by returning a response or throwing
   * Hono's `HTTPException`. @default accept any Authorization, or none
   */
  authorize?: MiddlewareHandler;
  /**
   * Token endpoints (`/connect/token`, `/sts/Token`) and the token check
   * they pair with, from `createMockAuth()` in ./auth.ts; its check is the
   * `authorize` step unless that is given. @default no token endpoints
   */
  auth?: MockAuth;
}

/** What {@linkcode createMockApp} gives back. */
export interface MockApp {
  app: Hono<MockEnv>;
  store: MockStore;
}

/** The call being timed, filled in by the handler. */
interface CallInfo {
  step: CallStep;
  entries: number;
  /** The injected fault, if any. */
  fault?: string;
}

/** Hono environment of the mock app. */
export type MockEnv = { Variables: { call: CallInfo } };

/** The run-time settings `POST /_mock/config` may change. */
const configSchema = z.strictObject({
  notConsented: z.array(
    z.string().regex(/^\s*\d{11}\s*$/, "must be a national id of 11 digits"),
  ).optional(),
  notConsentedFraction: z.number().min(0).max(1).optional(),
  consentKey: z.string().min(1).optional(),
  production: z.boolean().optional(),
  /** New faults, replacing the old ones and restarting the call count; null clears. */
  faults: faultsSchema.nullable().optional(),
});

const encoder = new TextEncoder();

function writeStderr(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let written = 0;
  while (written < bytes.length) {
    written += Deno.stderr.writeSync(bytes.subarray(written));
  }
}

/**
 * Build the mock app. Throws a `RangeError` for a bad option.
 */
export function createMockApp(options: MockAppOptions = {}): MockApp {
  const {
    basePath = DEFAULT_BASE_PATH,
    store = createMemoryStore(),
    now = Date.now,
    sleep = timerSleep,
    log = writeStderr,
    maxEntries = 10_000,
    auth,
    authorize = auth?.authorize,
  } = options;
  const limits: TimeLimits = { ...DEFAULT_LIMITS, ...options.limits };

  if (
    !/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath) || basePath.startsWith("/_mock")
  ) {
    throw new RangeError(
      `basePath must be a path like "/helsekontakter/api/v1" (no trailing slash, not under /_mock), got "${basePath}"`,
    );
  }
  for (const [name, value] of Object.entries(limits)) {
    if (!(value > 0)) {
      throw new RangeError(`limits.${name} must be above 0, got ${value}`);
    }
  }
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(
      `maxEntries must be a positive integer, got ${maxEntries}`,
    );
  }

  // Mutable at run time through POST /_mock/config.
  let faults = options.faults === undefined
    ? undefined
    : new FaultPlan(parseFaults(options.faults));
  let production = options.production ?? false;
  let consent: ConsentSettings = resolveConsentSettings({
    notConsented: options.notConsented,
    notConsentedFraction: options.notConsentedFraction,
    consentKey: options.consentKey,
  }, DEFAULT_CONSENT);

  const iso = (ms: number) => new Date(ms).toISOString();
  const emit = (
    level: string,
    message: string,
    context: Record<string, unknown>,
  ) => log(JSON.stringify({ level, time: iso(now()), message, ...context }));

  const app = new Hono<MockEnv>();

  app.onError((error) => {
    if (error instanceof MockHttpError) {
      return fhirJson(
        operationOutcome(error.problems),
        error.status,
        error.headers,
      );
    }
    if (error instanceof HTTPException) {
      const status = error.status;
      return fhirJson(
        operationOutcome([{
          code: status === 401 || status === 403 ? "security" : "invalid",
          diagnostics: error.message || `request refused with status ${status}`,
        }]),
        status,
      );
    }
    emit("error", "unexpected error in the mock", {
      error: error.name,
      detail: scrubNationalIds(error.message),
    });
    return fhirJson(
      operationOutcome([{
        code: "exception",
        diagnostics: "the mock failed unexpectedly; see its log",
      }]),
      500,
    );
  });

  app.notFound(() => {
    throw new MockHttpError(404, [{
      code: "not-found",
      diagnostics: `no such route; the API is POST ${basePath}`,
    }]);
  });

  const timeCall: MiddlewareHandler<MockEnv> = async (c, next) => {
    const startedAt = now();
    const call: CallInfo = { step: "unknown", entries: 0 };
    c.set("call", call);
    await next();

    const endedAt = now();
    const durationMs = Math.max(0, endedAt - startedAt);
    const limitMs = limitFor(call.step, limits);
    // Helsenorge asks for answers *under* the limit, so reaching it breaches.
    const breached = limitMs !== undefined && durationMs >= limitMs;
    const status = c.res.status;
    store.recordCall({
      step: call.step,
      startedAt: iso(startedAt),
      durationMs,
      entries: call.entries,
      status,
      breached,
      ...(call.fault === undefined ? {} : { fault: call.fault }),
    });
    if (breached) {
      log(JSON.stringify({
        level: "warn",
        time: iso(endedAt),
        message: "response time limit breached",
        step: call.step,
        durationMs,
        limitMs,
        entries: call.entries,
        status,
      }));
    }
  };

  const handleBundle = async (c: Context<MockEnv>) => {
    const call = c.get("call");
    const entries = await readBundle(c, maxEntries, (type, count) => {
      call.step = type === "transaction" ? "offerings" : "members";
      call.entries = count;
    });
    const decision = faults?.next(
      call.step === "offerings" ? "offerings" : "members",
      call.entries,
    );
    const early = decision && await failEarly(decision, c.req.raw.signal);
    if (early) {
      call.fault = decision.fault;
      return early;
    }
    if (decision && decision.latencyMs > 0) {
      // Like a real server, work goes on if the client stops waiting.
      await sleep(decision.latencyMs);
    }

    const lastUpdated = iso(now());
    const response = call.step === "offerings"
      ? processOfferings(entries, { store, lastUpdated })
      : processMembers(entries, {
        store,
        lastUpdated,
        production,
        consent,
      });
    if (decision?.fault === "commitThenDrop") {
      // Stored; the answer is lost on the way back.
      call.fault = `commitThenDrop:${decision.then}`;
      if (decision.then === "hang") {
        await sleep(decision.hangMs ?? 0, c.req.raw.signal).catch(() => {});
      }
      return droppedAnswer();
    }
    return fhirJson(response, 200);
  };

  /** The answer of a fault that ends the call before any work, if any. */
  const failEarly = async (
    decision: FaultDecision,
    signal: AbortSignal,
  ): Promise<Response | undefined> => {
    switch (decision.fault) {
      case "reset":
        return droppedAnswer();
      case "hang":
        // Until the client gives up (its connection closes) or `hangMs`.
        await sleep(decision.hangMs ?? 0, signal).catch(() => {});
        return droppedAnswer();
      case "serverError":
        return fhirJson(
          operationOutcome([{
            code: "transient",
            diagnostics: "injected fault: the server failed; send again",
          }]),
          decision.status ?? 503,
        );
      case "tooManyRequests":
        return fhirJson(
          operationOutcome([{
            code: "throttled",
            diagnostics: "injected fault: too many requests; wait and resend",
          }]),
          429,
          { "retry-after": String(decision.retryAfterSeconds ?? 1) },
        );
      default:
        return undefined;
    }
  };

  if (authorize === undefined) {
    app.post(basePath, timeCall, handleBundle);
  } else {
    app.post(basePath, timeCall, authorize, handleBundle);
  }
  app.all(basePath, methodNotAllowed("POST"));
  if (auth !== undefined) app.route("/", auth.routes);

  app.get("/_mock/received", (c) =>
    c.json({
      organizations: store.list("Organization"),
      locations: store.list("Location"),
      healthcareServices: store.list("HealthcareService"),
      patients: store.list("Patient"),
    }));
  app.all("/_mock/received", methodNotAllowed("GET"));

  app.get("/_mock/calls", (c) => {
    const calls = store.calls();
    return c.json({ limits, calls, summary: summarizeCalls(calls, limits) });
  });
  app.all("/_mock/calls", methodNotAllowed("GET"));

  const configView = () => ({
    production,
    notConsentedFraction: consent.notConsentedFraction,
    consentKey: consent.consentKey,
    // The list holds national ids; show how many, not which.
    notConsentedCount: consent.notConsented.length,
    // Shown only while set, so the view without faults stays as it was.
    ...(faults && { faults: faults.config, faultCalls: faults.calls }),
  });
  app.get("/_mock/config", (c) => c.json(configView()));
  app.post("/_mock/config", async (c) => {
    const body = await readJson(c);
    const parsed = configSchema.safeParse(body);
    if (!parsed.success) {
      throw new MockHttpError(
        400,
        parsed.error.issues.map((issue) => ({
          code: issue.code === "unrecognized_keys" ? "not-supported" : "value",
          expression: issue.path.length > 0 ? issue.path.join(".") : undefined,
          diagnostics: issue.path.length > 0
            ? `${issue.path.join(".")}: ${issue.message}`
            : issue.message,
        })),
      );
    }
    const {
      production: nextProduction,
      faults: nextFaults,
      ...nextConsent
    } = parsed.data;
    consent = resolveConsentSettings(nextConsent, consent);
    if (nextProduction !== undefined) production = nextProduction;
    if (nextFaults !== undefined) {
      faults = nextFaults === null ? undefined : new FaultPlan(nextFaults);
    }
    return c.json(configView());
  });
  app.all("/_mock/config", methodNotAllowed("GET, POST"));

  app.post("/_mock/reset", (c) => {
    store.reset();
    return c.body(null, 204);
  });
  app.all("/_mock/reset", methodNotAllowed("POST"));

  return { app, store };
}

function timerSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function fhirJson(
  body: unknown,
  status: number,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...headers, "content-type": `${FHIR_JSON}; charset=utf-8` },
  });
}

function methodNotAllowed(allow: string): MiddlewareHandler<MockEnv> {
  return (c) => {
    throw new MockHttpError(405, [{
      code: "not-supported",
      diagnostics: `${c.req.method} is not allowed here; use ${allow}`,
    }], { allow });
  };
}

async function readJson(c: Context): Promise<unknown> {
  const mediaType = (c.req.header("content-type") ?? "").split(";")[0].trim()
    .toLowerCase();
  if (mediaType !== FHIR_JSON && mediaType !== "application/json") {
    throw new MockHttpError(400, [{
      code: "structure",
      diagnostics:
        `Content-Type must be ${FHIR_JSON} or application/json, got ${
          mediaType === "" ? "none" : `'${mediaType.slice(0, 60)}'`
        }`,
    }]);
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    // The parser's own message quotes the body, which may hold national ids.
    throw new MockHttpError(400, [{
      code: "structure",
      diagnostics: "the body is not valid JSON",
    }]);
  }
}

/** Read the Bundle and hand back its entries; `onType` learns its type. */
async function readBundle(
  c: Context,
  maxEntries: number,
  onType: (type: "transaction" | "batch", entries: number) => void,
): Promise<unknown[]> {
  const bundle = await readJson(c);
  if (
    typeof bundle !== "object" || bundle === null || Array.isArray(bundle) ||
    (bundle as { resourceType?: unknown }).resourceType !== "Bundle"
  ) {
    throw new MockHttpError(400, [{
      code: "invalid",
      expression: "Bundle.resourceType",
      diagnostics: "the body must be a FHIR Bundle (resourceType 'Bundle')",
    }]);
  }
  const { type, entry } = bundle as { type?: unknown; entry?: unknown };
  if (type !== "transaction" && type !== "batch") {
    const got = typeof type === "string" ? `'${type.slice(0, 40)}'` : "none";
    throw new MockHttpError(400, [{
      code: "value",
      expression: "Bundle.type",
      diagnostics:
        `Bundle.type must be 'transaction' (offerings) or 'batch' (members), got ${got}`,
    }]);
  }
  if (entry !== undefined && !Array.isArray(entry)) {
    throw new MockHttpError(400, [{
      code: "structure",
      expression: "Bundle.entry",
      diagnostics: "Bundle.entry must be an array",
    }]);
  }
  const entries = entry ?? [];
  onType(type, entries.length);
  if (entries.length > maxEntries) {
    throw new MockHttpError(413, [{
      code: "too-costly",
      expression: "Bundle.entry",
      diagnostics:
        `the Bundle has ${entries.length} entries, more than the ${maxEntries} allowed; send smaller batches`,
    }]);
  }
  return entries;
}
