/**
 * Fault injection for the mock: added latency (fixed, uniform or normal, plus
 * a part that grows with the batch), 5xx, 429 with `Retry-After`, a hang past
 * the client's timeout, a connection reset, and "commit then drop" (the batch
 * is stored, then no answer comes). Each fault has a rate, a schedule of call
 * numbers, or both; set at start (`deno task mock --fault-...`) or at run
 * time (`POST /_mock/config` with `{ "faults": ... }`).
 *
 * Decisions are deterministic: whether call n gets a fault is a keyed hash of
 * (seed, n, fault), so the same seed gives the same faults on the same call
 * numbers, run after run. Calls are counted from 1 since the faults were set.
 *
 * @example
 * ```ts
 * const plan = new FaultPlan(parseFaults({
 *   seed: "test",
 *   serverError: { rate: 0.1 },
 *   hang: { calls: "calls 10-20" },
 *   latency: { members: { ms: 200, perEntryMs: 14 } },
 * }));
 * const decision = plan.next("members", 1000); // latency 14 200 ms, maybe a fault
 * ```
 *
 * @module
 */

import { z } from "zod";

/** The faults that end a call differently, in the order they are tried. */
export const FAULT_NAMES = [
  "reset",
  "hang",
  "serverError",
  "tooManyRequests",
  "commitThenDrop",
] as const;
export type FaultName = typeof FAULT_NAMES[number];

/** The steps faults apply to. */
export type FaultStep = "offerings" | "members";

/** `calls 10-20`, `calls 5`, `calls 1-3, 40-50`: call numbers, from 1. */
const scheduleText = z.string().trim().regex(
  /^calls\s+\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*$/,
  'must read like "calls 10-20" or "calls 3, 7-9"',
);

/** When a fault (or a latency model) applies. */
const when = {
  /**
   * Share of calls, 0..1. Without `calls` it applies to any call; with it,
   * to that share of the scheduled calls. @default 1 with `calls`, else 0
   */
  rate: z.number().min(0).max(1).optional(),
  /** Call numbers it applies to. @default every call */
  calls: scheduleText.optional(),
};

const latencyModel = z.strictObject({
  /** @default "fixed" */
  distribution: z.enum(["fixed", "uniform", "normal"]).default("fixed"),
  /** Fixed: the latency; uniform: the lower bound; normal: the mean. */
  ms: z.number().min(0).max(600_000).default(0),
  /** Uniform: the upper bound; normal: an upper clamp. */
  maxMs: z.number().min(0).max(600_000).optional(),
  /** Normal: a lower clamp. @default 0 */
  minMs: z.number().min(0).max(600_000).optional(),
  /** Normal: the standard deviation. @default 0 */
  sdMs: z.number().min(0).max(600_000).optional(),
  /** Added per entry of the Bundle: latency = sample + perEntryMs × entries. */
  perEntryMs: z.number().min(0).max(60_000).default(0),
  ...when,
});

/** The fault configuration, as `POST /_mock/config` takes it under `faults`. */
export const faultsSchema = z.strictObject({
  /** Key of the per-call draws. @default "medlemsbro-faults" */
  seed: z.string().min(1).max(200).default("medlemsbro-faults"),
  /** Steps the faults (not the latency) apply to. @default both */
  steps: z.array(z.enum(["offerings", "members"])).min(1).default([
    "offerings",
    "members",
  ]),
  /** Latency per step. */
  latency: z.strictObject({
    offerings: latencyModel.optional(),
    members: latencyModel.optional(),
  }).optional(),
  /** Answer with a 5xx (nothing stored). */
  serverError: z.strictObject({
    ...when,
    /** @default 503 */
    status: z.number().int().min(500).max(599).default(503),
  }).optional(),
  /** Answer 429 with `Retry-After` (nothing stored). */
  tooManyRequests: z.strictObject({
    ...when,
    /** @default 1 */
    retryAfterSeconds: z.number().int().min(0).max(86_400).default(1),
  }).optional(),
  /** Answer nothing for `ms` (or until the client gives up); nothing stored. */
  hang: z.strictObject({
    ...when,
    /** @default 20000, past the client's 15 s timeout */
    ms: z.number().min(0).max(600_000).default(20_000),
  }).optional(),
  /** Close the connection instead of answering; nothing stored. */
  reset: z.strictObject(when).optional(),
  /** Store the batch, then give no answer: reset the connection, or hang. */
  commitThenDrop: z.strictObject({
    ...when,
    /** @default "reset" */
    then: z.enum(["reset", "hang"]).default("reset"),
    /** How long "hang" lasts. @default 20000 */
    ms: z.number().min(0).max(600_000).default(20_000),
  }).optional(),
});

/** Faults as given (defaults not yet applied). */
export type FaultsInput = z.input<typeof faultsSchema>;
/** Faults with defaults applied. */
export type FaultsConfig = z.output<typeof faultsSchema>;

/** What the mock does with one call. */
export interface FaultDecision {
  /** The call's number since the faults were set, from 1. */
  call: number;
  /** Wait this long before answering (or dropping a committed answer). */
  latencyMs: number;
  /** The fault that ends the call, if any. */
  fault?: FaultName;
  /** For `serverError`. */
  status?: number;
  /** For `tooManyRequests`. */
  retryAfterSeconds?: number;
  /** For `hang`, and `commitThenDrop` with `then: "hang"`. */
  hangMs?: number;
  /** For `commitThenDrop`. */
  then?: "reset" | "hang";
}

/** Validate faults; throws a `RangeError` naming every bad field. */
export function parseFaults(input: unknown): FaultsConfig {
  const parsed = faultsSchema.safeParse(input);
  if (!parsed.success) {
    throw new RangeError(
      `faults: ${
        parsed.error.issues.map((issue) =>
          `${issue.path.join(".") || "(root)"}: ${issue.message}`
        ).join("; ")
      }`,
    );
  }
  return parsed.data;
}

/**
 * A ready mix of every fault at `rate` in all (each fault a fifth of it),
 * with a normal latency of 300 ± 150 ms plus 2 ms per entry on members.
 */
export function faultMix(rate: number, seed?: string): FaultsInput {
  const each = { rate: rate / FAULT_NAMES.length };
  return {
    seed,
    latency: {
      members: {
        distribution: "normal",
        ms: 300,
        sdMs: 150,
        minMs: 20,
        maxMs: 2000,
        perEntryMs: 2,
      },
    },
    serverError: each,
    tooManyRequests: each,
    hang: each,
    reset: each,
    commitThenDrop: each,
  };
}

/** Decides, call by call, what the mock does. One per configuration. */
export class FaultPlan {
  readonly config: FaultsConfig;
  #calls = 0;
  readonly #schedules = new Map<string, [number, number][]>();

  constructor(config: FaultsConfig) {
    this.config = config;
  }

  /** Calls decided so far. */
  get calls(): number {
    return this.#calls;
  }

  /** Decide the next call, for a step and a Bundle of `entries` entries. */
  next(step: FaultStep, entries: number): FaultDecision {
    const call = ++this.#calls;
    const decision: FaultDecision = {
      call,
      latencyMs: this.#latency(step, entries, call),
    };
    if (!this.config.steps.includes(step)) return decision;
    for (const name of FAULT_NAMES) {
      const rule = this.config[name];
      if (rule === undefined || !this.#applies(name, rule, call)) continue;
      decision.fault = name;
      if (name === "serverError") {
        decision.status = this.config.serverError!.status;
      }
      if (name === "tooManyRequests") {
        decision.retryAfterSeconds = this.config.tooManyRequests!
          .retryAfterSeconds;
      }
      if (name === "hang") decision.hangMs = this.config.hang!.ms;
      if (name === "commitThenDrop") {
        decision.then = this.config.commitThenDrop!.then;
        decision.hangMs = this.config.commitThenDrop!.ms;
      }
      break;
    }
    return decision;
  }

  #latency(step: FaultStep, entries: number, call: number): number {
    const model = this.config.latency?.[step];
    if (model === undefined) return 0;
    if (!this.#applies(`latency.${step}`, model, call)) return 0;
    const draw = (label: string) =>
      keyedDraw(this.config.seed, call, `latency.${step}.${label}`);
    let sample = model.ms;
    if (model.distribution === "uniform") {
      const upper = Math.max(model.ms, model.maxMs ?? model.ms);
      sample = model.ms + draw("u") * (upper - model.ms);
    } else if (model.distribution === "normal") {
      // Box–Muller from two keyed draws; clamped to [minMs, maxMs].
      const u = Math.max(draw("n1"), Number.EPSILON);
      const z = Math.sqrt(-2 * Math.log(u)) *
        Math.cos(2 * Math.PI * draw("n2"));
      sample = model.ms + z * (model.sdMs ?? 0);
      sample = Math.max(model.minMs ?? 0, sample);
      if (model.maxMs !== undefined) sample = Math.min(model.maxMs, sample);
    }
    return Math.round(sample + model.perEntryMs * entries);
  }

  #applies(
    label: string,
    rule: { rate?: number; calls?: string },
    call: number,
  ): boolean {
    if (rule.calls !== undefined) {
      if (!this.#inSchedule(label, rule.calls, call)) return false;
      const rate = rule.rate ?? 1;
      return rate >= 1 || keyedDraw(this.config.seed, call, label) < rate;
    }
    if (rule.rate === undefined) return label.startsWith("latency.");
    return keyedDraw(this.config.seed, call, label) < rule.rate;
  }

  #inSchedule(label: string, text: string, call: number): boolean {
    let ranges = this.#schedules.get(label);
    if (ranges === undefined) {
      ranges = parseSchedule(text);
      this.#schedules.set(label, ranges);
    }
    return ranges.some(([from, to]) => call >= from && call <= to);
  }
}

/** `calls 3, 7-9` as `[[3, 3], [7, 9]]`. */
export function parseSchedule(text: string): [number, number][] {
  return text.trim().replace(/^calls\s+/, "").split(",").map((part) => {
    const [from, to = from] = part.split("-").map((n) => Number(n.trim()));
    return [Math.min(from, to), Math.max(from, to)];
  });
}

/**
 * A number in [0, 1) fixed by (seed, call, label): FNV-1a over the three,
 * then MurmurHash3's 32-bit finalizer to spread the bits.
 */
export function keyedDraw(seed: string, call: number, label: string): number {
  let hash = 0x811c9dc5;
  const text = `${seed}\u0000${call}\u0000${label}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 2 ** 32;
}

/**
 * A response whose body fails as it is read: the status line and headers go
 * out, then the connection is cut, so the client sees a reset, not an
 * answer. In-process (`app.request`) the body fails the same way.
 */
export function droppedAnswer(): Response {
  return new Response(
    new ReadableStream({
      start(controller) {
        controller.error(new Error("connection dropped by the mock (fault)"));
      },
    }),
    { status: 200, headers: { "content-type": "application/fhir+json" } },
  );
}
