/**
 * Access tokens by OAuth 2.0 client credentials with a signed client
 * assertion (`private_key_jwt`, RFC 7523), from one of the two token
 * services Helsenorge accepts:
 *
 * | flavour   | token endpoint                      | assertion `aud`       |
 * | --------- | ----------------------------------- | --------------------- |
 * | `helseid` | `{authority}/connect/token`         | the authority         |
 * | `sts`     | `/sts/Token` on the API's host      | the token URL itself  |
 *
 * Tokens are cached until shortly before they expire, and however many
 * calls ask at once, one request is made (single flight). Helsenorge issues
 * no refresh tokens: a new token is a new client-credentials request.
 *
 * @example
 * ```ts
 * const tokens = new TokenSource({
 *   flavour: "helseid",
 *   tokenUrl: helseIdTokenUrl("https://helseid-sts.test.nhn.no"),
 *   clientId,
 *   key,
 * });
 * const { value, type } = await tokens.get();
 * ```
 *
 * @module
 */

import { AuthError } from "./auth_error.ts";
import {
  createClientAssertion,
  JWT_BEARER_ASSERTION_TYPE,
} from "./client_assertion.ts";
import type { DpopProofer } from "./dpop.ts";
import type { SigningKey } from "./keys.ts";
import { scrubServerText } from "./scrub.ts";
import { errorMessage } from "../errors.ts";

/** Which token service: HelseID or Helsenorge's own STS. */
export type TokenFlavour = "helseid" | "sts";

/** Scope asked for unless configured. */
export const DEFAULT_SCOPE = "Helsekontakter";

/** An access token and when it stops being used. */
export interface AccessToken {
  /** The token itself: never log it. */
  value: string;
  /** `DPoP` when the token is bound to the DPoP key. */
  type: "Bearer" | "DPoP";
  /** Milliseconds since the epoch when it expires. */
  expiresAt: number;
}

/** Options for {@linkcode TokenSource}. */
export interface TokenSourceOptions {
  flavour: TokenFlavour;
  /** The token endpoint; see {@linkcode helseIdTokenUrl}, {@linkcode stsTokenUrl}. */
  tokenUrl: string;
  /**
   * The assertion's `aud`. @default the authority for `helseid` (the token
   * URL without `/connect/token`), the token URL for `sts`
   */
  audience?: string;
  clientId: string;
  key: SigningKey;
  /** @default "Helsekontakter" */
  scope?: string;
  /** Ask for DPoP-bound tokens, proving with this key. @default no DPoP */
  dpop?: DpopProofer;
  /** Seconds before expiry when a token is no longer used. @default 30 */
  refreshMarginSeconds?: number;
  /** Timeout of one token request, in milliseconds. @default 10000 */
  timeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** The clock, in milliseconds. @default Date.now */
  now?: () => number;
  /** Makes each assertion's `jti`. @default crypto.randomUUID */
  jti?: () => string;
}

/** HelseID's token endpoint for an authority (`https://helseid-sts.nhn.no`). */
export function helseIdTokenUrl(authority: string): string {
  return `${authority.replace(/\/+$/, "")}/connect/token`;
}

/** Helsenorge STS's token endpoint on the host of an API base URL. */
export function stsTokenUrl(apiBaseUrl: string): string {
  return new URL("/sts/Token", apiBaseUrl).href;
}

/** The `aud` each flavour expects for a token URL. */
export function assertionAudience(
  flavour: TokenFlavour,
  tokenUrl: string,
): string {
  if (flavour === "sts") return tokenUrl;
  return tokenUrl.replace(/\/connect\/token\/?$/, "");
}

interface TokenResponse {
  access_token?: unknown;
  token_type?: unknown;
  expires_in?: unknown;
  error?: unknown;
  error_description?: unknown;
}

type CachedToken = AccessToken & { refreshAt: number };

/** Gets, caches and renews access tokens. Safe to share between calls. */
export class TokenSource {
  readonly flavour: TokenFlavour;
  readonly tokenUrl: string;
  readonly #options: Required<
    Omit<TokenSourceOptions, "dpop" | "audience" | "jti">
  >;
  readonly #audience: string;
  readonly #dpop?: DpopProofer;
  readonly #jti?: () => string;
  #current?: CachedToken;
  #pending?: Promise<AccessToken>;
  #nonce?: string;

  constructor(options: TokenSourceOptions) {
    const {
      scope = DEFAULT_SCOPE,
      refreshMarginSeconds = 30,
      timeoutMs = 10_000,
      fetch = globalThis.fetch,
      now = Date.now,
    } = options;
    let url: URL;
    try {
      url = new URL(options.tokenUrl);
    } catch {
      throw new TypeError(`tokenUrl is not a URL: "${options.tokenUrl}"`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new TypeError(`tokenUrl must be http(s), got "${url.protocol}"`);
    }
    if (!(refreshMarginSeconds >= 0) || !(timeoutMs > 0)) {
      throw new RangeError(
        "refreshMarginSeconds must be >= 0 and timeoutMs > 0",
      );
    }
    this.flavour = options.flavour;
    this.tokenUrl = url.href;
    this.#audience = options.audience ??
      assertionAudience(options.flavour, url.href);
    this.#dpop = options.dpop;
    this.#jti = options.jti;
    this.#options = {
      ...options,
      scope,
      refreshMarginSeconds,
      timeoutMs,
      fetch,
      now,
    };
  }

  /**
   * A token that is valid for a while yet: the cached one, the one being
   * fetched, or a new one.
   *
   * @throws {AuthError} `ERR_AUTH_TOKEN_REFUSED` or `ERR_AUTH_TOKEN_UNAVAILABLE`.
   */
  get(): Promise<AccessToken> {
    const current = this.#current;
    if (current && this.#options.now() < current.refreshAt) {
      return Promise.resolve(current);
    }
    this.#pending ??= this.#request().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /**
   * Stop using `token` (the API refused it). Only the token named is
   * dropped: when many calls were refused with the same token, the first
   * drops it and the rest find the new one, so one request is made.
   */
  invalidate(token: string): void {
    if (this.#current?.value === token) this.#current = undefined;
  }

  async #request(): Promise<AccessToken> {
    const { now } = this.#options;
    let nonce = this.#nonce;

    for (let round = 1;; round++) {
      const started = now();
      const { response, body } = await this.#post(nonce);
      const given = response.headers.get("dpop-nonce") ?? undefined;
      if (given !== undefined) this.#nonce = given;

      if (response.ok) {
        const token = this.#readToken(body, started);
        this.#current = token;
        return token;
      }
      // RFC 9449 §8: the server wants a nonce; answer once with a new proof
      // and a new assertion (a new jti), never the same one again.
      if (
        body.error === "use_dpop_nonce" && this.#dpop && given !== undefined &&
        round === 1
      ) {
        nonce = given;
        continue;
      }
      throw this.#refusal(response, body);
    }
  }

  async #post(
    nonce: string | undefined,
  ): Promise<{ response: Response; body: TokenResponse }> {
    const { clientId, key, scope, fetch, now, timeoutMs } = this.#options;
    const assertion = await createClientAssertion({
      clientId,
      audience: this.#audience,
      key,
      now,
      jti: this.#jti,
    });
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: clientId,
      client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
      client_assertion: assertion,
      scope,
    });
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    };
    if (this.#dpop) {
      headers.dpop = await this.#dpop.proof({
        method: "POST",
        url: this.tokenUrl,
        nonce,
      });
    }

    let response: Response;
    let text: string;
    try {
      response = await fetch(this.tokenUrl, {
        method: "POST",
        headers,
        body: form,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (cause) {
      const why = cause instanceof DOMException && cause.name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : `network error: ${
          scrubServerText(
            errorMessage(cause),
          )
        }`;
      throw new AuthError(
        "ERR_AUTH_TOKEN_UNAVAILABLE",
        `could not get an access token from ${this.#where()}: ${why}`,
        { retryable: true },
      );
    }
    if (response.status >= 500) {
      throw new AuthError(
        "ERR_AUTH_TOKEN_UNAVAILABLE",
        `could not get an access token from ${this.#where()}: HTTP ${response.status}`,
        { status: response.status, retryable: true },
      );
    }
    let body: TokenResponse = {};
    try {
      const parsed = JSON.parse(text);
      if (typeof parsed === "object" && parsed !== null) body = parsed;
    } catch {
      // An answer that is not JSON is reported by its status below.
    }
    return { response, body };
  }

  #readToken(body: TokenResponse, started: number): CachedToken {
    const { access_token, token_type, expires_in } = body;
    if (typeof access_token !== "string" || access_token === "") {
      throw new AuthError(
        "ERR_AUTH_TOKEN_REFUSED",
        `${this.#where()} answered without an access_token`,
      );
    }
    const type = String(token_type).toLowerCase() === "dpop"
      ? "DPoP"
      : "Bearer";
    if (this.#dpop && type !== "DPoP") {
      throw new AuthError(
        "ERR_AUTH_TOKEN_REFUSED",
        `${this.#where()} issued a ${type} token although DPoP was asked for`,
      );
    }
    const lifetimeMs =
      (typeof expires_in === "number" && expires_in > 0 ? expires_in : 60) *
      1000;
    const marginMs = this.#options.refreshMarginSeconds * 1000;
    return {
      value: access_token,
      type,
      expiresAt: started + lifetimeMs,
      // Renew `marginMs` early, but keep at least half of a short lifetime.
      refreshAt: started + Math.max(lifetimeMs / 2, lifetimeMs - marginMs),
    };
  }

  #refusal(response: Response, body: TokenResponse): AuthError {
    const { status } = response;
    const error = typeof body.error === "string"
      ? scrubServerText(body.error, 60)
      : undefined;
    const description = typeof body.error_description === "string"
      ? scrubServerText(body.error_description)
      : undefined;
    const said = [error, description].filter(Boolean).join(": ");
    return new AuthError(
      "ERR_AUTH_TOKEN_REFUSED",
      `${this.#where()} refused the token request with HTTP ${status}${
        said ? ` (${said})` : ""
      }${
        !this.#dpop && demandsDpop(response, error)
          ? DPOP_REQUIRED_HINT
          : hint(error)
      }`,
      { status, oauthError: error },
    );
  }

  #where(): string {
    const name = this.flavour === "helseid" ? "HelseID" : "Helsenorge STS";
    return `${name} (${this.tokenUrl})`;
  }
}

/** Said when a server wants DPoP and the client sent no proof. */
export const DPOP_REQUIRED_HINT =
  "; the server requires DPoP-bound tokens; set --dpop (MEDLEMSBRO_DPOP=true)";

/**
 * Whether a refusal asks for DPoP (RFC 9449 §7.1, §8): a DPoP error code, a
 * `DPoP` challenge or a `DPoP-Nonce` header.
 */
function demandsDpop(response: Response, error: string | undefined): boolean {
  return error === "invalid_dpop_proof" || error === "use_dpop_nonce" ||
    /^\s*DPoP\b/i.test(response.headers.get("www-authenticate") ?? "") ||
    response.headers.has("dpop-nonce");
}

/** What to check after a refusal with a proof sent, or without DPoP at all. */
function hint(error: string | undefined): string {
  switch (error) {
    case "invalid_client":
      return "; check the client id, that the key is the one registered, and the clock";
    case "invalid_scope":
      return "; check the scope setting against the client's registration";
    case "invalid_dpop_proof":
      return "; the DPoP proof was not accepted";
    case "use_dpop_nonce":
      return "; the server kept asking for a new DPoP nonce";
    default:
      return "";
  }
}
