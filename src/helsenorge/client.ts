/**
 * The client for Helsenorge's membership-services API: posts the offerings
 * transaction and member batches (docs/api-contract.md), with a timeout per
 * step and resends with back-off when no usable answer came.
 *
 * The client does not log; it reports what it does through `onEvent`, and the
 * caller decides what to show.
 *
 * @example
 * ```ts
 * const client = new HelsenorgeClient({ baseUrl: "http://127.0.0.1:8787/helsekontakter/api/v1" });
 * const response = await client.sendMembers(bundle);
 * ```
 *
 * @module
 */

import type { Bundle, OperationOutcome } from "fhir/r4";
import { errorMessage, MedlemsbroError } from "../errors.ts";
import { scrubServerText } from "../auth/scrub.ts";
import { DPOP_REQUIRED_HINT } from "../auth/token_source.ts";
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  type RetryPolicy,
  sleep as defaultSleep,
} from "./retry.ts";

/** The two steps of the job; each has its own timeout and response limit. */
export type Step = "offerings" | "members";

/** Client timeouts per step, in milliseconds. */
export interface StepTimeouts {
  /** @default 10000 (Helsenorge answers offerings within 3 s for 99 % of calls) */
  offerings: number;
  /** @default 15000 (Helsenorge's stated client timeout for member calls) */
  members: number;
}

export const DEFAULT_TIMEOUTS: Readonly<StepTimeouts> = {
  offerings: 10_000,
  members: 15_000,
};

/** What the client did, for the caller's log and progress output. */
export type ClientEvent =
  | {
    type: "response";
    step: Step;
    attempt: number;
    status: number;
    durationMs: number;
  }
  | {
    type: "retry";
    step: Step;
    attempt: number;
    delayMs: number;
    reason: string;
  }
  | {
    /** An attempt that got no answer: it timed out or the connection failed. */
    type: "no-answer";
    step: Step;
    attempt: number;
    durationMs: number;
    /** True when the client's timeout ended it, false for a network error. */
    timedOut: boolean;
    reason: string;
  };

/** Receives the events of one call, besides the client's `onEvent`. */
export type CallObserver = (event: ClientEvent) => void;

/** Gives the `Authorization` header value for a call, or none. */
export type Authorizer = (
  request: { method: string; url: string },
) => Promise<Record<string, string>>;

/** A call the API refused with 401 or 403, as an authorizer sees it. */
export interface AuthRefusal {
  status: number;
  /** The answer's headers (`WWW-Authenticate`, `DPoP-Nonce`). */
  headers: Headers;
  /** The auth headers the refused call carried. */
  sent: Record<string, string>;
}

/**
 * Authorizes calls and answers the API's refusals (src/auth/authorizer.ts).
 * `headers()` runs before every attempt. On 401 or 403, `onRefused` may name
 * a reason to try again with fresh headers ("token", "dpop-nonce"); each
 * reason is tried once per call, and such a retry is not a resend (it does
 * not use up an attempt). If `headers()` throws, the call fails with that
 * error, unless it has `retryable: true`, when it is resent like a network
 * error.
 */
export interface RequestAuthorizer {
  headers(
    request: { method: string; url: string },
  ): Promise<Record<string, string>>;
  onRefused?(refusal: AuthRefusal): Promise<string | undefined>;
}

export interface HelsenorgeClientOptions {
  /** The API base URL, e.g. `https://eksternapi.hn.test.nhn.no/helsekontakter/api/v1`. */
  baseUrl: string;
  /** @default DEFAULT_TIMEOUTS */
  timeouts?: Partial<StepTimeouts>;
  /** @default DEFAULT_RETRY_POLICY */
  retry?: Partial<RetryPolicy>;
  /** Adds auth headers to each call. @default no headers */
  authorize?: Authorizer | RequestAuthorizer;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default a timer-based sleep */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** @default Math.random */
  random?: () => number;
  /** @default Date.now */
  now?: () => number;
  /**
   * Makes the signal that ends an attempt after `ms`; `done` is aborted once
   * the attempt is over, so a fake clock can drop the timer. Inject it with
   * `sleep` and `now` to run the client on simulated time.
   * @default AbortSignal.timeout(ms)
   */
  timeoutSignal?: (ms: number, done: AbortSignal) => AbortSignal;
  /** Receives one event per response, attempt without answer and resend. */
  onEvent?: (event: ClientEvent) => void;
}

/**
 * A call that did not succeed. `code` tells why:
 * - `ERR_HELSENORGE_REJECTED`: a 4xx that resending cannot fix (bad bundle,
 *   auth refused); `status` and `outcome` hold the answer.
 * - `ERR_HELSENORGE_UNAVAILABLE`: no usable answer after every attempt
 *   (timeouts, network errors, 408, 429, 5xx), or a `Retry-After` longer
 *   than the policy allows (`retryAfterMs` holds it).
 * - `ERR_HELSENORGE_BAD_RESPONSE`: every attempt got a 2xx whose body is not
 *   the expected Bundle, so whether it was stored is unknown.
 */
export class HelsenorgeError extends MedlemsbroError {
  override name = "HelsenorgeError";
  readonly step: Step;
  readonly status?: number;
  readonly outcome?: OperationOutcome;
  readonly attempts: number;
  /** The wait Helsenorge asked for, when it was too long to wait. */
  readonly retryAfterMs?: number;

  constructor(
    code: string,
    message: string,
    fields: {
      step: Step;
      status?: number;
      outcome?: OperationOutcome;
      attempts: number;
      retryAfterMs?: number;
      cause?: unknown;
    },
  ) {
    super(code, message, { cause: fields.cause });
    this.step = fields.step;
    this.status = fields.status;
    this.outcome = fields.outcome;
    this.attempts = fields.attempts;
    this.retryAfterMs = fields.retryAfterMs;
  }
}

type AttemptResult =
  | { kind: "done"; bundle: Bundle }
  | {
    kind: "retry";
    reason: string;
    waitMs?: number;
    status?: number;
    /** A 2xx that could not be read: the server may have stored it. */
    unreadable?: boolean;
  }
  | { kind: "reauth" }
  | { kind: "fatal"; error: HelsenorgeError };

/** Posts bundles to Helsenorge. One instance per base URL; safe to share. */
export class HelsenorgeClient {
  readonly baseUrl: string;
  readonly #timeouts: StepTimeouts;
  readonly #retry: RetryPolicy;
  readonly #authorize: RequestAuthorizer;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #timeoutSignal: (ms: number, done: AbortSignal) => AbortSignal;
  readonly #onEvent: (event: ClientEvent) => void;

  constructor(options: HelsenorgeClientOptions) {
    const {
      baseUrl,
      timeouts = {},
      retry = {},
      authorize = () => Promise.resolve({}),
      fetch = globalThis.fetch,
      sleep = defaultSleep,
      random = Math.random,
      now = Date.now,
      timeoutSignal = (ms: number) => AbortSignal.timeout(ms),
      onEvent = () => {},
    } = options;

    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch (cause) {
      throw new TypeError(`baseUrl is not a URL: "${baseUrl}"`, { cause });
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new TypeError(`baseUrl must be http(s), got "${url.protocol}"`);
    }
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...timeouts };
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...retry };
    for (const [name, value] of Object.entries(this.#timeouts)) {
      if (!(value > 0)) throw new RangeError(`timeout for ${name} must be > 0`);
    }
    if (!(this.#retry.maxAttempts >= 1)) {
      throw new RangeError("retry.maxAttempts must be at least 1");
    }

    this.baseUrl = url.href.replace(/\/$/, "");
    this.#authorize = typeof authorize === "function"
      ? { headers: authorize }
      : authorize;
    this.#fetch = fetch;
    this.#sleep = sleep;
    this.#random = random;
    this.#now = now;
    this.#timeoutSignal = timeoutSignal;
    this.#onEvent = onEvent;
  }

  /**
   * Step 1: post the offerings transaction; returns the transaction-response.
   * `observe` gets this call's events (timings per attempt).
   */
  sendOfferings(
    bundle: Bundle,
    signal?: AbortSignal,
    observe?: CallObserver,
  ): Promise<Bundle> {
    return this.#post("offerings", bundle, "transaction-response", {
      signal,
      observe,
    });
  }

  /**
   * Step 2: post one member batch; returns the batch-response. `observe`
   * gets this call's events (timings per attempt).
   */
  sendMembers(
    bundle: Bundle,
    signal?: AbortSignal,
    observe?: CallObserver,
  ): Promise<Bundle> {
    return this.#post("members", bundle, "batch-response", {
      signal,
      observe,
    });
  }

  async #post(
    step: Step,
    bundle: Bundle,
    expected: Bundle["type"],
    { signal, observe }: { signal?: AbortSignal; observe?: CallObserver },
  ): Promise<Bundle> {
    const emit = (event: ClientEvent) => {
      this.#onEvent(event);
      observe?.(event);
    };
    const body = JSON.stringify(bundle);
    const entries = bundle.entry?.length ?? 0;
    let lastReason = "";
    let unreadable = 0;
    const reauthorized = new Set<string>();

    for (let attempt = 1; attempt <= this.#retry.maxAttempts; attempt++) {
      signal?.throwIfAborted();
      const result = await this.#attempt(
        step,
        body,
        { expected, entries },
        attempt,
        reauthorized,
        emit,
        signal,
      );
      if (result.kind === "done") return result.bundle;
      if (result.kind === "fatal") throw result.error;
      if (result.kind === "reauth") {
        // Same attempt again with fresh auth headers: not a resend.
        attempt--;
        continue;
      }

      lastReason = result.reason;
      if (result.unreadable) unreadable++;
      if (
        result.waitMs !== undefined && result.waitMs > this.#retry.maxDelayMs
      ) {
        // Resending before the asked time would only be refused again, and
        // waiting that long would stall the run: give up now and say why.
        throw new HelsenorgeError(
          "ERR_HELSENORGE_UNAVAILABLE",
          `Helsenorge asked to wait ${
            formatWait(result.waitMs)
          } before resending, longer than the ${
            formatWait(this.#retry.maxDelayMs)
          } limit (${step} call, ${result.reason})`,
          {
            step,
            status: result.status,
            attempts: attempt,
            retryAfterMs: result.waitMs,
          },
        );
      }
      if (attempt === this.#retry.maxAttempts) break;
      const delayMs = Math.min(
        this.#retry.maxDelayMs,
        Math.max(
          result.waitMs ?? 0,
          backoffDelay(attempt, this.#retry, this.#random),
        ),
      );
      emit({
        type: "retry",
        step,
        attempt,
        delayMs,
        reason: result.reason,
      });
      await this.#sleep(delayMs, signal);
    }

    if (unreadable === this.#retry.maxAttempts) {
      // A 2xx came every time, so the server may well have stored the
      // bundle; resending is safe (conditional updates), so the caller books
      // the members as failed and sends them again.
      throw new HelsenorgeError(
        "ERR_HELSENORGE_BAD_RESPONSE",
        `Helsenorge's answer could not be read; the ${step} may or may not be stored; they will be sent again (${step} call, ${this.#retry.maxAttempts} attempts; last: ${lastReason})`,
        { step, status: 200, attempts: this.#retry.maxAttempts },
      );
    }
    throw new HelsenorgeError(
      "ERR_HELSENORGE_UNAVAILABLE",
      `Helsenorge gave no usable answer to the ${step} call after ${this.#retry.maxAttempts} attempts; last: ${lastReason}`,
      { step, attempts: this.#retry.maxAttempts },
    );
  }

  async #attempt(
    step: Step,
    body: string,
    expect: { expected: Bundle["type"]; entries: number },
    attempt: number,
    reauthorized: Set<string>,
    emit: (event: ClientEvent) => void,
    signal?: AbortSignal,
  ): Promise<AttemptResult> {
    const { entries } = expect;
    let auth: Record<string, string>;
    try {
      auth = await this.#authorize.headers({
        method: "POST",
        url: this.baseUrl,
      });
    } catch (error) {
      if ((error as { retryable?: unknown }).retryable !== true) throw error;
      return { kind: "retry", reason: errorMessage(error) };
    }

    const timeoutMs = this.#timeouts[step];
    const done = new AbortController();
    const timeout = this.#timeoutSignal(timeoutMs, done.signal);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const started = this.#now();

    let response: Response;
    let text: string;
    try {
      const headers = {
        "content-type": "application/fhir+json",
        accept: "application/fhir+json",
        ...auth,
      };
      response = await this.#fetch(this.baseUrl, {
        method: "POST",
        headers,
        body,
        signal: combined,
      });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const timedOut = timeout.aborted;
      const reason = timedOut
        ? `no answer within ${timeoutMs} ms (${entries} entries)`
        : `network error: ${errorMessage(error)}`;
      emit({
        type: "no-answer",
        step,
        attempt,
        durationMs: this.#now() - started,
        timedOut,
        reason,
      });
      return { kind: "retry", reason };
    } finally {
      done.abort();
    }

    const status = response.status;
    emit({
      type: "response",
      step,
      attempt,
      status,
      durationMs: this.#now() - started,
    });

    if ((status === 401 || status === 403) && this.#authorize.onRefused) {
      const reason = await this.#authorize.onRefused({
        status,
        headers: response.headers,
        sent: auth,
      });
      if (reason !== undefined && !reauthorized.has(reason)) {
        reauthorized.add(reason);
        return { kind: "reauth" };
      }
    }

    // 408: the server gave up waiting for us; like a timeout, resend.
    if (status === 408 || status === 429 || status >= 500) {
      return {
        kind: "retry",
        reason: `HTTP ${status}`,
        status,
        waitMs: parseRetryAfter(
          response.headers.get("retry-after"),
          this.#now(),
        ),
      };
    }

    const parsed = parseJson(text);
    if (status >= 200 && status < 300) {
      // A 2xx we cannot read may still have been stored; resending is safe
      // (every entry is a conditional update), so it is resent like a 5xx.
      const problem = readProblem(parsed, text, expect);
      if (problem !== undefined) {
        return {
          kind: "retry",
          reason: `HTTP ${status} ${problem}`,
          status,
          unreadable: true,
        };
      }
      return { kind: "done", bundle: parsed as Bundle };
    }

    const outcome = isOperationOutcome(parsed) ? parsed : undefined;
    const summary = outcome ? summarizeOutcome(outcome) : "";
    return {
      kind: "fatal",
      error: new HelsenorgeError(
        "ERR_HELSENORGE_REJECTED",
        `Helsenorge refused the ${step} call with HTTP ${status}${
          describeChallenge(status, response.headers, auth, reauthorized)
        }${summary ? `: ${summary}` : ""}`,
        { step, status, outcome, attempts: attempt },
      ),
    };
  }
}

/**
 * Why a 2xx body is not the answer expected, or undefined when it is. Never
 * quotes the body: it may hold national ids.
 */
function readProblem(
  parsed: unknown,
  text: string,
  { expected, entries }: { expected: Bundle["type"]; entries: number },
): string | undefined {
  if (parsed === undefined) {
    return text.trim() === "" ? "with an empty body" : "with a body not JSON";
  }
  if (!isBundle(parsed)) return "with no FHIR Bundle";
  const got = Array.isArray(parsed.entry) ? parsed.entry.length : 0;
  if (parsed.type !== expected || got !== entries) {
    const type = typeof parsed.type === "string"
      ? parsed.type.replace(/[^\w-]/g, "").slice(0, 30)
      : "Bundle without type";
    return `with a ${type} of ${got} entries; expected a ${expected} of ${entries}`;
  }
  return undefined;
}

/** `30 s`, `4 min 10 s`, `27 h 46 min`: a wait, for messages. */
function formatWait(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return seconds % 60 ? `${minutes} min ${seconds % 60} s` : `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

/**
 * One line from an OperationOutcome's issues, for error messages: each
 * issue's elements and text, joined by "; ". Empty when there is nothing to
 * say, so a caller adds its own ": " only before real text. The line is the
 * server's text, so it goes through `scrubServerText`: tokens, keys and
 * national ids a server echoes never reach a message or report.
 */
export function summarizeOutcome(outcome: OperationOutcome): string {
  const issues = Array.isArray(outcome.issue) ? outcome.issue : [];
  const shown = issues.slice(0, 5).flatMap((issue) => {
    const where = (issue.expression ?? []).filter(Boolean).join(", ");
    const what = [issue.diagnostics, issue.details?.text, issue.code]
      .map((text) => typeof text === "string" ? text.trim() : "")
      .find((text) => text !== "");
    if (where && what) return [`${where}: ${what}`];
    const either = where || what;
    return either ? [either] : [];
  });
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : "";
  return scrubServerText((shown.join("; ") + more).trim(), 600);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isBundle(value: unknown): value is Bundle {
  return typeof value === "object" && value !== null &&
    (value as { resourceType?: unknown }).resourceType === "Bundle";
}

function isOperationOutcome(value: unknown): value is OperationOutcome {
  return typeof value === "object" && value !== null &&
    (value as { resourceType?: unknown }).resourceType === "OperationOutcome";
}

/**
 * For 401/403: the challenge's error and what was tried, for the message;
 * and when a call without a DPoP proof met a `DPoP` challenge and no
 * `Bearer` one (RFC 9449 §7.1), that DPoP must be set.
 */
function describeChallenge(
  status: number,
  headers: Headers,
  sent: Record<string, string>,
  reauthorized: Set<string>,
): string {
  if (status !== 401 && status !== 403) return "";
  const challenge = headers.get("www-authenticate") ?? "";
  const error = /\berror="([^"]{1,60})"/.exec(challenge)?.[1];
  const tried = reauthorized.has("token") ? ", also with a new token" : "";
  const shown = error && scrubServerText(error.replace(/[^\w .:-]/g, ""));
  const schemes = [...challenge.matchAll(/(?:^|,)\s*([A-Za-z]+)(?=\s|,|$)/g)]
    .map((match) => match[1].toLowerCase());
  const needsDpop = sent.dpop === undefined && schemes.includes("dpop") &&
    !schemes.includes("bearer");
  return `${shown ? ` (${shown})` : ""}${tried}${
    needsDpop ? DPOP_REQUIRED_HINT : ""
  }`;
}
