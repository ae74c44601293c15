/**
 * Settings of the operator page, from `MEDLEMSBRO_OPERATOR_*` environment
 * variables, validated with zod. Messages name the variable, never a
 * password hash or secret.
 *
 * | variable | meaning | default |
 * | --- | --- | --- |
 * | `MEDLEMSBRO_OPERATOR_USERS` | `name:pbkdf2-sha256$N$salt$hash`, comma-separated (`deno task operator-password NAME`) | none: no one can log in with a form |
 * | `MEDLEMSBRO_OPERATOR_SESSION_SECRET` | signs session cookies and seals member references; ≥ 32 characters | random per process (sessions end at restart) |
 * | `MEDLEMSBRO_OPERATOR_SESSION_HOURS` | how long a login lasts | 8 |
 *
 * @module
 */

import { z } from "zod";
import { SettingsError } from "../../config/settings.ts";
import { parsePasswordHash, type PasswordHash } from "./password.ts";

export const OPERATOR_VARIABLES = {
  users: "MEDLEMSBRO_OPERATOR_USERS",
  sessionSecret: "MEDLEMSBRO_OPERATOR_SESSION_SECRET",
  sessionHours: "MEDLEMSBRO_OPERATOR_SESSION_HOURS",
} as const;

/** One person who may log in. */
export interface OperatorUser {
  name: string;
  password: PasswordHash;
}

export interface OperatorSettings {
  users: OperatorUser[];
  /** Key material for cookies and member references. */
  sessionSecret: string;
  /** Whether the secret was made at start (not from the environment). */
  randomSecret: boolean;
  sessionTtlMs: number;
}

const userList = z.string().transform((text, ctx) => {
  const users: OperatorUser[] = [];
  const entries = text.split(",").map((s) => s.trim()).filter((s) => s);
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(":");
    const name = colon > 0 ? entry.slice(0, colon).trim() : "";
    const password = colon > 0
      ? parsePasswordHash(entry.slice(colon + 1).trim())
      : undefined;
    if (!/^[\p{L}\p{N}._@-]{1,64}$/u.test(name) || !password) {
      ctx.addIssue({
        code: "custom",
        message: `entry ${
          index + 1
        } is not name:pbkdf2-sha256$N$salt$hash (make one with deno task operator-password NAME)`,
      });
      continue;
    }
    if (users.some((u) => u.name === name)) {
      ctx.addIssue({
        code: "custom",
        message: `entry ${index + 1} repeats the user ${name}`,
      });
    }
    users.push({ name, password });
  }
  return users;
});

const schema = z.object({
  users: userList.default([]),
  sessionSecret: z.string().min(32, {
    error: "must be at least 32 characters long",
  }).optional(),
  sessionHours: z.string().trim().regex(/^\d+(\.\d+)?$/, "must be a number")
    .transform(Number).pipe(z.number().min(0.1).max(24 * 30)).default(8),
});

/**
 * Read and check the operator settings.
 *
 * @throws {SettingsError} naming each bad variable (never its value).
 */
export function loadOperatorSettings(
  env: Record<string, string | undefined>,
): OperatorSettings {
  const raw: Record<string, string> = {};
  for (const [name, variable] of Object.entries(OPERATOR_VARIABLES)) {
    const value = env[variable];
    if (value !== undefined && value !== "") raw[name] = value;
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new SettingsError(result.error.issues.map((issue) => {
      const name = String(issue.path[0]) as keyof typeof OPERATOR_VARIABLES;
      return `${OPERATOR_VARIABLES[name] ?? name}: ${issue.message}`;
    }));
  }
  const { users, sessionSecret, sessionHours } = result.data;
  return {
    users,
    sessionSecret: sessionSecret ??
      Array.from(
        crypto.getRandomValues(new Uint8Array(32)),
        (b) => b.toString(16).padStart(2, "0"),
      ).join(""),
    randomSecret: sessionSecret === undefined,
    sessionTtlMs: Math.round(sessionHours * 3_600_000),
  };
}
