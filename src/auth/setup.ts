/**
 * From settings to the client's authorizer: the one place that knows which
 * token endpoint each mode uses and how the in-process mock is set up.
 *
 * @example
 * ```ts
 * const auth = await prepareAuth(flags, Deno.env.toObject());
 * const authorize = await createAuthorizerFor(auth, { baseUrl, helseIdAuthority });
 * ```
 *
 * @module
 */

import { SettingsError } from "../config/settings.ts";
import type { RequestAuthorizer } from "../helsenorge/client.ts";
import type { MockAuth } from "../../mock-helsenorge/auth.ts";
import { createAuthorizer } from "./authorizer.ts";
import { createDemoClient } from "./demo_client.ts";
import { createDpopProofer } from "./dpop.ts";
import type { SigningKey } from "./keys.ts";
import {
  type AuthSettingName,
  type AuthSettings,
  loadAuthKey,
  loadAuthSettings,
  where,
} from "./settings.ts";
import { helseIdTokenUrl, stsTokenUrl, TokenSource } from "./token_source.ts";

/** `parseArgs` options for the auth flags. */
export const AUTH_FLAG_OPTIONS = {
  auth: { type: "string" },
  "client-id": { type: "string" },
  "key-file": { type: "string" },
  alg: { type: "string" },
  scope: { type: "string" },
  "helseid-authority": { type: "string" },
  "token-url": { type: "string" },
  dpop: { type: "boolean" },
} as const;

const FLAG_SETTINGS: Record<keyof typeof AUTH_FLAG_OPTIONS, AuthSettingName> = {
  auth: "auth",
  "client-id": "clientId",
  "key-file": "keyFile",
  alg: "alg",
  scope: "scope",
  "helseid-authority": "helseIdAuthority",
  "token-url": "tokenUrl",
  dpop: "dpop",
};

/** Settings and the loaded key, checked before anything is read or sent. */
export interface PreparedAuth {
  settings: AuthSettings;
  /** Loaded when a key is configured. */
  key?: SigningKey;
}

/**
 * Validate the auth settings and load the key they name. With
 * `demoClient` (the in-process mock) no client id or key is required.
 *
 * @throws {SettingsError} naming each bad setting, never a value.
 */
export async function prepareAuth(
  flags: Record<string, unknown>,
  env: Record<string, string | undefined>,
  options: { demoClient?: boolean } = {},
): Promise<PreparedAuth> {
  const given: Partial<Record<AuthSettingName, string | boolean>> = {};
  for (const [flag, name] of Object.entries(FLAG_SETTINGS)) {
    const value = flags[flag];
    if (typeof value === "string" || typeof value === "boolean") {
      given[name] = value;
    }
  }
  const settings = loadAuthSettings(given, env, options);
  const configured = settings.keyFile !== undefined ||
    settings.keyJwk !== undefined;
  return {
    settings,
    key: configured ? await loadAuthKey(settings) : undefined,
  };
}

/** Where the calls go, for {@linkcode createAuthorizerFor}. */
export interface AuthTarget {
  /** The API base URL. */
  baseUrl: string;
  /** The environment's HelseID authority, or the in-process mock's origin. */
  helseIdAuthority?: string;
  /** The in-process mock's auth: the client is registered with it. */
  mockAuth?: MockAuth;
  fetch?: typeof fetch;
  now?: () => number;
}

/**
 * The authorizer for the settings, or undefined for `--auth none`. With the
 * in-process mock the mode defaults to `helseid` and the client (the
 * configured one, or a demo client made in memory) is registered with it.
 *
 * @throws {SettingsError} when the mode needs a setting that is missing.
 */
export async function createAuthorizerFor(
  prepared: PreparedAuth,
  target: AuthTarget,
): Promise<RequestAuthorizer | undefined> {
  const { settings } = prepared;
  const mode = settings.auth ?? (target.mockAuth ? "helseid" : "none");
  if (mode === "none") return undefined;

  let clientId = settings.clientId;
  let key = prepared.key;
  if (target.mockAuth) {
    if (clientId === undefined || key === undefined) {
      ({ clientId, key } = await createDemoClient());
    }
    target.mockAuth.registerClient({
      clientId,
      jwks: [key.publicJwk],
      scopes: settings.scope.split(" "),
    });
  }
  if (clientId === undefined || key === undefined) {
    throw new SettingsError([
      `${where("clientId")} and a key: required with --auth ${mode}`,
    ]);
  }

  let tokenUrl = settings.tokenUrl;
  if (tokenUrl === undefined && mode === "sts") {
    tokenUrl = stsTokenUrl(target.baseUrl);
  }
  if (tokenUrl === undefined) {
    const authority = settings.helseIdAuthority ?? target.helseIdAuthority;
    if (authority === undefined) {
      throw new SettingsError([
        `${
          where("helseIdAuthority")
        }: required with --auth helseid when the environment has no HelseID authority`,
      ]);
    }
    tokenUrl = helseIdTokenUrl(authority);
  }

  const dpop = settings.dpop ? await createDpopProofer() : undefined;
  const tokens = new TokenSource({
    flavour: mode,
    tokenUrl,
    audience: mode === "helseid" && settings.helseIdAuthority
      ? settings.helseIdAuthority.replace(/\/+$/, "")
      : undefined,
    clientId,
    key,
    scope: settings.scope,
    dpop,
    fetch: target.fetch,
    now: target.now,
  });
  return createAuthorizer({ tokens, dpop });
}

/** A line for the run's header: which auth is used, never with secrets. */
export function describeAuth(
  prepared: PreparedAuth,
  inProcessMock: boolean,
): string {
  const mode = prepared.settings.auth ?? (inProcessMock ? "helseid" : "none");
  if (mode === "none") return "no auth";
  const name = mode === "helseid" ? "HelseID" : "Helsenorge STS";
  return `${name}${prepared.settings.dpop ? " with DPoP" : ""}`;
}
