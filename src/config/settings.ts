/**
 * Settings for a sync, from command-line flags over environment variables
 * over defaults, validated with zod. Every setting has a flag and a
 * `MEDLEMSBRO_*` variable; the table lives in docs/configuration.md.
 *
 * @module
 */

import { z } from "zod";
import { MedlemsbroError } from "../errors.ts";
import { parseDate } from "../input/dates.ts";
import { ENVIRONMENT_NAMES } from "./environments.ts";

const FIELDS = ["nationalId", "organizationNumber", "start", "end"] as const;

/** The flags and environment variables each setting is read from. */
export const SETTING_SOURCES = {
  env: { flag: "--env", variable: "MEDLEMSBRO_ENV" },
  baseUrl: { flag: "--base-url", variable: "MEDLEMSBRO_BASE_URL" },
  batchSize: { flag: "--batch-size", variable: "MEDLEMSBRO_BATCH_SIZE" },
  minBatchSize: {
    flag: "--min-batch-size",
    variable: "MEDLEMSBRO_MIN_BATCH_SIZE",
  },
  maxBatchSize: {
    flag: "--max-batch-size",
    variable: "MEDLEMSBRO_MAX_BATCH_SIZE",
  },
  targetLatencyMs: {
    flag: "--target-latency",
    variable: "MEDLEMSBRO_TARGET_LATENCY_MS",
  },
  breakerFailures: {
    flag: "--breaker-failures",
    variable: "MEDLEMSBRO_BREAKER_FAILURES",
  },
  concurrency: { flag: "--concurrency", variable: "MEDLEMSBRO_CONCURRENCY" },
  timeoutOfferingsMs: {
    flag: "--timeout-offerings",
    variable: "MEDLEMSBRO_TIMEOUT_OFFERINGS_MS",
  },
  timeoutMembersMs: {
    flag: "--timeout-members",
    variable: "MEDLEMSBRO_TIMEOUT_MEMBERS_MS",
  },
  maxAttempts: { flag: "--max-attempts", variable: "MEDLEMSBRO_MAX_ATTEMPTS" },
  defaultEnd: { flag: "--default-end", variable: "MEDLEMSBRO_DEFAULT_END" },
  headerAliases: {
    flag: "--header-alias",
    variable: "MEDLEMSBRO_HEADER_ALIASES",
  },
  encoding: { flag: "--encoding", variable: "MEDLEMSBRO_ENCODING" },
  statePath: { flag: "--state", variable: "MEDLEMSBRO_STATE" },
  stateWriteBehind: {
    flag: "--state-write-behind",
    variable: "MEDLEMSBRO_STATE_WRITE_BEHIND",
  },
  maxEndShare: {
    flag: "--max-end-share",
    variable: "MEDLEMSBRO_MAX_END_SHARE",
  },
  leaseTtlMs: { flag: "--lease-ttl", variable: "MEDLEMSBRO_LEASE_TTL_MS" },
} as const;

export type SettingName = keyof typeof SETTING_SOURCES;

/** Plain decimal digits only: "0x10", "1e3" and "" are refused. */
const wholeNumber = (min: number, max: number) =>
  z.string().trim().regex(/^\d+$/, "must be a whole number")
    .transform(Number).pipe(z.number().int().min(min).max(max));

const dateOnly = z.string().transform((text, ctx) => {
  const date = parseDate(text);
  if (!date.ok) {
    ctx.addIssue({ code: "custom", message: date.reason });
    return z.NEVER;
  }
  return date.value;
});

/** The validated settings. */
export const settingsSchema = z.object({
  env: z.enum(ENVIRONMENT_NAMES).default("mock"),
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  batchSize: wholeNumber(1, 5000).default(200),
  /** Smallest adaptive batch. @default 10, or batchSize when smaller */
  minBatchSize: wholeNumber(1, 5000).optional(),
  /** Largest adaptive batch. @default batchSize: shrink, then grow back */
  maxBatchSize: wholeNumber(1, 5000).optional(),
  /** Member calls slower than this shrink the batch. @default 8000 */
  targetLatencyMs: wholeNumber(100, 120_000).default(8000),
  /** Failed member calls in a row that stop the run. @default 3 */
  breakerFailures: wholeNumber(1, 1000).default(3),
  concurrency: wholeNumber(1, 32).default(2),
  timeoutOfferingsMs: wholeNumber(100, 120_000).default(10_000),
  timeoutMembersMs: wholeNumber(100, 120_000).default(15_000),
  maxAttempts: wholeNumber(1, 20).default(5),
  defaultEnd: dateOnly.optional(),
  headerAliases: z.partialRecord(z.enum(FIELDS), z.array(z.string().min(1)))
    .optional(),
  encoding: z.enum(["utf-8", "windows-1252", "utf-16le", "utf-16be"])
    .optional(),
  /** A SQLite file, ":memory:", or "none" for no state. */
  statePath: z.string().min(1).optional(),
  /**
   * Member records a run holds back before writing them sorted (fewer,
   * cheaper writes; on a crash their batches are resent). Each costs ~300
   * bytes, twice over while one set is written: the cap keeps that within
   * the sync task's 256 MB old space (a million held ran out of memory).
   * @default 50000
   */
  stateWriteBehind: wholeNumber(1, 100_000).default(50_000),
  maxEndShare: z.string().trim().regex(
    /^\d+(\.\d+)?%?$/,
    "must be a share such as 0.2 or 20%",
  )
    .transform((text) =>
      text.endsWith("%") ? Number(text.slice(0, -1)) / 100 : Number(text)
    ).pipe(z.number().min(0).max(1)).default(0.2),
  leaseTtlMs: wholeNumber(1000, 3_600_000).default(60_000),
});

/** The validated settings, adaptive batch bounds filled in. */
export type Settings =
  & Omit<z.infer<typeof settingsSchema>, "minBatchSize" | "maxBatchSize">
  & { minBatchSize: number; maxBatchSize: number };

/** Settings that could not be used; `issues` names each setting and why. */
export class SettingsError extends MedlemsbroError {
  override name = "SettingsError";
  readonly issues: string[];

  constructor(issues: string[]) {
    super(
      "ERR_SETTINGS",
      `invalid settings:\n  ${issues.join("\n  ")}`,
    );
    this.issues = issues;
  }
}

/**
 * Merge flags over environment variables and validate. Flags hold the values
 * as typed (strings); `headerAliases` may come as `field=Header` strings
 * (repeated flag) or, from the variable, as JSON.
 *
 * @throws {SettingsError} naming every bad setting by flag and variable.
 */
export function loadSettings(
  flags: Partial<Record<SettingName, string | string[]>>,
  env: Record<string, string | undefined> = {},
): Settings {
  const raw: Record<string, unknown> = {};
  const issues: string[] = [];

  for (const [name, source] of Object.entries(SETTING_SOURCES)) {
    const flag = flags[name as SettingName];
    const variable = env[source.variable];
    if (flag !== undefined && !(Array.isArray(flag) && flag.length === 0)) {
      raw[name] = flag;
    } else if (variable !== undefined && variable !== "") {
      raw[name] = variable;
    }
  }

  if (raw.headerAliases !== undefined) {
    const aliases = parseHeaderAliases(raw.headerAliases);
    if (typeof aliases === "string") {
      issues.push(aliases);
      delete raw.headerAliases;
    } else raw.headerAliases = aliases;
  }

  const result = settingsSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = String(issue.path[0]) as SettingName;
      const source = SETTING_SOURCES[name];
      const where = source ? `${source.flag} (${source.variable})` : name;
      issues.push(`${where}: ${issue.message}`);
    }
  }
  if (issues.length > 0) throw new SettingsError(issues);
  const data = result.data!;
  const where = (name: SettingName) =>
    `${SETTING_SOURCES[name].flag} (${SETTING_SOURCES[name].variable})`;
  const minBatchSize = data.minBatchSize ?? Math.min(10, data.batchSize);
  const maxBatchSize = data.maxBatchSize ?? data.batchSize;
  if (minBatchSize > data.batchSize) {
    issues.push(
      `${
        where("minBatchSize")
      }: ${minBatchSize} is above the batch size ${data.batchSize} (${
        where("batchSize")
      })`,
    );
  }
  if (maxBatchSize < data.batchSize) {
    issues.push(
      `${
        where("maxBatchSize")
      }: ${maxBatchSize} is below the batch size ${data.batchSize} (${
        where("batchSize")
      })`,
    );
  }
  if (issues.length > 0) throw new SettingsError(issues);
  return { ...data, minBatchSize, maxBatchSize };
}

function parseHeaderAliases(value: unknown): Record<string, string[]> | string {
  const where =
    `${SETTING_SOURCES.headerAliases.flag} (${SETTING_SOURCES.headerAliases.variable})`;
  if (typeof value === "string" && value.trim().startsWith("{")) {
    try {
      return JSON.parse(value);
    } catch {
      return `${where}: not valid JSON`;
    }
  }
  // The flag repeats; the variable lists pairs separated by commas.
  const pairs = Array.isArray(value) ? value : String(value).split(",");
  const aliases: Record<string, string[]> = {};
  for (const pair of pairs) {
    const at = String(pair).indexOf("=");
    const field = String(pair).slice(0, at).trim();
    const header = String(pair).slice(at + 1).trim();
    if (
      at < 1 || header === "" || !(FIELDS as readonly string[]).includes(field)
    ) {
      return `${where}: expected field=Header with field one of ${
        FIELDS.join(", ")
      }, got "${pair}"`;
    }
    (aliases[field] ??= []).push(header);
  }
  return aliases;
}
