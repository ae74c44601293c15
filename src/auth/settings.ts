/**
 * Auth settings, from flags over `MEDLEMSBRO_*` environment variables,
 * validated with zod. A missing or malformed setting is reported at start,
 * named by flag and variable; values are never echoed, since client ids and
 * keys are secrets. Reading and checking the key itself is
 * {@linkcode loadAuthKey}'s job.
 *
 * @module
 */

import { z } from "zod";
import { SettingsError } from "../config/settings.ts";
import { AuthError } from "./auth_error.ts";
import { KeyFileError, readKeyFile } from "./key_file.ts";
import { loadSigningKey, SIGNING_ALGS, type SigningKey } from "./keys.ts";
import { DEFAULT_SCOPE } from "./token_source.ts";

/** The flag and variable of each auth setting (`keyJwk` has no flag: secrets do not belong on a command line). */
export const AUTH_SETTING_SOURCES = {
  auth: { flag: "--auth", variable: "MEDLEMSBRO_AUTH" },
  clientId: { flag: "--client-id", variable: "MEDLEMSBRO_CLIENT_ID" },
  keyFile: { flag: "--key-file", variable: "MEDLEMSBRO_KEY_FILE" },
  keyJwk: { flag: undefined, variable: "MEDLEMSBRO_KEY_JWK" },
  alg: { flag: "--alg", variable: "MEDLEMSBRO_ALG" },
  scope: { flag: "--scope", variable: "MEDLEMSBRO_SCOPE" },
  helseIdAuthority: {
    flag: "--helseid-authority",
    variable: "MEDLEMSBRO_HELSEID_AUTHORITY",
  },
  tokenUrl: { flag: "--token-url", variable: "MEDLEMSBRO_TOKEN_URL" },
  dpop: { flag: "--dpop", variable: "MEDLEMSBRO_DPOP" },
} as const;

export type AuthSettingName = keyof typeof AUTH_SETTING_SOURCES;

/** `none`, or which token service to use. */
export const AUTH_MODES = ["none", "helseid", "sts"] as const;

const httpUrl = z.url({
  protocol: /^https?$/,
  error: "must be an http(s) URL",
});

/** The validated auth settings. */
export const authSettingsSchema = z.object({
  /** Unset: `helseid` against the in-process mock, otherwise `none`. */
  auth: z.enum(AUTH_MODES, { error: `must be one of ${AUTH_MODES.join(", ")}` })
    .optional(),
  clientId: z.string().trim().min(1, "must not be empty").max(
    200,
    "is too long",
  )
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
    .optional(),
  keyFile: z.string().min(1).optional(),
  keyJwk: z.string().min(1).optional(),
  alg: z.enum(SIGNING_ALGS, {
    error: `must be one of ${SIGNING_ALGS.join(", ")}`,
  })
    .optional(),
  scope: z.string().trim().min(1, "must not be empty")
    .regex(
      /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/,
      "must be scope names separated by single spaces",
    )
    .default(DEFAULT_SCOPE),
  helseIdAuthority: httpUrl.optional(),
  tokenUrl: httpUrl.optional(),
  dpop: z.enum(["true", "false", "1", "0"], { error: "must be true or false" })
    .transform((text) => text === "true" || text === "1").default(false),
});

export type AuthSettings = z.infer<typeof authSettingsSchema>;

/**
 * Merge flags over variables and validate. A client id and exactly one key
 * are required with `helseid` or `sts`, unless `demoClient` (the in-process
 * mock makes its own).
 *
 * @throws {SettingsError} naming each bad setting by flag and variable.
 */
export function loadAuthSettings(
  flags: Partial<Record<AuthSettingName, string | boolean>>,
  env: Record<string, string | undefined> = {},
  options: { demoClient?: boolean } = {},
): AuthSettings {
  const raw: Record<string, unknown> = {};
  for (const [name, source] of Object.entries(AUTH_SETTING_SOURCES)) {
    const flag = flags[name as AuthSettingName];
    const variable = env[source.variable];
    if (flag !== undefined) raw[name] = String(flag);
    else if (variable !== undefined && variable !== "") raw[name] = variable;
  }

  const issues: string[] = [];
  const result = authSettingsSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      issues.push(`${where(String(issue.path[0]))}: ${issue.message}`);
    }
  }
  // Checked on the raw values, so that these show with any other issue.
  const mode = raw.auth;
  if ((mode === "helseid" || mode === "sts") && !options.demoClient) {
    if (raw.clientId === undefined) {
      issues.push(`${where("clientId")}: is required with --auth ${mode}`);
    }
    if ((raw.keyFile === undefined) === (raw.keyJwk === undefined)) {
      issues.push(
        `${where("keyFile")} or ${
          where("keyJwk")
        }: exactly one is required with --auth ${mode}`,
      );
    }
  }
  if (issues.length > 0) throw new SettingsError(issues);
  return result.data!;
}

/** `--flag (VARIABLE)`, or the variable alone. */
export function where(name: string): string {
  const source = AUTH_SETTING_SOURCES[name as AuthSettingName];
  if (!source) return name;
  return source.flag ? `${source.flag} (${source.variable})` : source.variable;
}

/**
 * Read and check the signing key the settings name. The key file is read
 * with `readKeyFile`: a directory, FIFO, device or file over 1 MiB is
 * refused before anything is read.
 *
 * @throws {SettingsError} naming the setting, never quoting the key.
 */
export async function loadAuthKey(
  settings: Pick<AuthSettings, "keyFile" | "keyJwk" | "alg">,
  readTextFile: (path: string) => Promise<string> = readKeyFile,
): Promise<SigningKey> {
  let text: string;
  let source: string;
  if (settings.keyFile !== undefined) {
    source = `${where("keyFile")} ${settings.keyFile}`;
    try {
      text = await readTextFile(settings.keyFile);
    } catch (error) {
      const why = error instanceof KeyFileError
        ? error.reason
        : error instanceof Deno.errors.NotFound
        ? "no such file"
        : error instanceof Deno.errors.PermissionDenied
        ? "permission denied"
        : "could not be read";
      throw new SettingsError([`${source}: ${why}`]);
    }
  } else if (settings.keyJwk !== undefined) {
    source = where("keyJwk");
    text = settings.keyJwk;
  } else {
    throw new SettingsError([
      `${where("keyFile")} or ${where("keyJwk")}: a signing key is required`,
    ]);
  }
  try {
    return await loadSigningKey({ text, alg: settings.alg, source });
  } catch (error) {
    if (error instanceof AuthError) throw new SettingsError([error.message]);
    throw error;
  }
}
