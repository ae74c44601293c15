/**
 * Settings of the webhook service, from `MEDLEMSBRO_WEBHOOK_*` environment
 * variables, validated with zod. Secrets and tokens are checked for shape
 * and count only; no message ever repeats their values.
 *
 * | variable | meaning | default |
 * | --- | --- | --- |
 * | `MEDLEMSBRO_WEBHOOK_SECRETS` | HMAC secrets, comma-separated (≥ 16 chars each); all are accepted, so one can be rotated | none |
 * | `MEDLEMSBRO_WEBHOOK_TOKENS` | bearer tokens, comma-separated (≥ 16 chars each) | none |
 * | `MEDLEMSBRO_WEBHOOK_MAX_SKEW_S` | largest signature timestamp skew, seconds | 300 |
 * | `MEDLEMSBRO_WEBHOOK_FLUSH_SIZE` | events that start a flush at once | 500 |
 * | `MEDLEMSBRO_WEBHOOK_FLUSH_AGE_MS` | oldest pending event's age that starts a flush | 5000 |
 * | `MEDLEMSBRO_WEBHOOK_MAX_ATTEMPTS` | failed flushes before an event is dead-lettered | 8 |
 * | `MEDLEMSBRO_WEBHOOK_RETRY_BASE_MS` | first back-off; doubles per failure, at most 1 h | 30000 |
 * | `MEDLEMSBRO_WEBHOOK_LIMIT_EVENTS` | body limit of `/webhooks/members`, bytes | 1048576 |
 * | `MEDLEMSBRO_WEBHOOK_LIMIT_FULL` | body limit of `/webhooks/members/full`, bytes | 52428800 |
 * | `MEDLEMSBRO_WEBHOOK_LIMIT_OFFERINGS` | body limit of `/webhooks/offerings`, bytes | 1048576 |
 *
 * @module
 */

import { z } from "zod";
import { SettingsError } from "../config/settings.ts";

/** The variable each webhook setting is read from. */
export const WEBHOOK_VARIABLES = {
  secrets: "MEDLEMSBRO_WEBHOOK_SECRETS",
  tokens: "MEDLEMSBRO_WEBHOOK_TOKENS",
  maxSkewSeconds: "MEDLEMSBRO_WEBHOOK_MAX_SKEW_S",
  flushSize: "MEDLEMSBRO_WEBHOOK_FLUSH_SIZE",
  flushAgeMs: "MEDLEMSBRO_WEBHOOK_FLUSH_AGE_MS",
  maxAttempts: "MEDLEMSBRO_WEBHOOK_MAX_ATTEMPTS",
  retryBaseMs: "MEDLEMSBRO_WEBHOOK_RETRY_BASE_MS",
  limitEvents: "MEDLEMSBRO_WEBHOOK_LIMIT_EVENTS",
  limitFull: "MEDLEMSBRO_WEBHOOK_LIMIT_FULL",
  limitOfferings: "MEDLEMSBRO_WEBHOOK_LIMIT_OFFERINGS",
} as const;

/** Digits only, in a range; one message for every way to miss it. */
const wholeNumber = (min: number, max: number) => {
  const error = min > 0
    ? `must be a positive whole number from ${min} to ${max}`
    : `must be a whole number from ${min} to ${max}`;
  return z.string().trim().regex(/^\d+$/, { error })
    .transform(Number).pipe(
      z.number().int().min(min, { error }).max(max, { error }),
    );
};

/** A comma-separated list of secrets; the message never holds a value. */
const secretList = (what: string) =>
  z.string().transform((text) =>
    text.split(",").map((s) => s.trim()).filter((s) => s !== "")
  ).pipe(
    z.array(
      z.string().min(16, {
        error: `every ${what} must be at least 16 characters long`,
      }),
    ).max(10, { error: `at most 10 ${what}s may be active at once` }),
  );

export const webhookSettingsSchema = z.object({
  secrets: secretList("secret").default([]),
  tokens: secretList("token").default([]),
  maxSkewSeconds: wholeNumber(10, 3600).default(300),
  flushSize: wholeNumber(1, 5000).default(500),
  flushAgeMs: wholeNumber(0, 3_600_000).default(5000),
  maxAttempts: wholeNumber(1, 100).default(8),
  retryBaseMs: wholeNumber(0, 3_600_000).default(30_000),
  limitEvents: wholeNumber(1024, 64 << 20).default(1 << 20),
  limitFull: wholeNumber(1024, 512 << 20).default(50 << 20),
  limitOfferings: wholeNumber(1024, 64 << 20).default(1 << 20),
});

export type WebhookSettings = z.infer<typeof webhookSettingsSchema>;

/**
 * Read and check the webhook settings.
 *
 * @throws {SettingsError} naming each bad variable (never its value).
 */
export function loadWebhookSettings(
  env: Record<string, string | undefined>,
): WebhookSettings {
  const raw: Record<string, string> = {};
  for (const [name, variable] of Object.entries(WEBHOOK_VARIABLES)) {
    const value = env[variable];
    if (value !== undefined && value !== "") raw[name] = value;
  }
  const result = webhookSettingsSchema.safeParse(raw);
  if (!result.success) {
    throw new SettingsError(result.error.issues.map((issue) => {
      const name = String(issue.path[0]) as keyof typeof WEBHOOK_VARIABLES;
      return `${WEBHOOK_VARIABLES[name] ?? name}: ${issue.message}`;
    }));
  }
  return result.data;
}

/** The settings as safe to log: counts instead of secrets. */
export function describeWebhookSettings(
  settings: WebhookSettings,
): Record<string, unknown> {
  const { secrets, tokens, ...rest } = settings;
  return { ...rest, secrets: secrets.length, tokens: tokens.length };
}
