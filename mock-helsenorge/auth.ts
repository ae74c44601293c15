/**
 * The mock's token endpoints and the token check of its FHIR route, both
 * strict, so the client's authentication is tested against something that
 * really refuses.
 *
 * - `POST /connect/token` (HelseID flavour): the assertion's `aud` must be
 *   the mock's origin, as HelseID wants its authority.
 * - `POST /sts/Token` (Helsenorge STS flavour): `aud` must be the token URL.
 *
 * Both take `client_credentials` with a `private_key_jwt` assertion (RFC
 * 7523) signed by a registered client key, valid for at most 60 s, with a
 * `jti` never seen before; they issue JWT access tokens signed by the mock's
 * own key, with `scope` and a short, configurable expiry, bound to a DPoP
 * key (`cnf.jkt`, RFC 9449) when a proof comes with the request. The FHIR
 * route answers a missing or bad token with 401, a wrong scope with 403
 * `insufficient_scope`, and an expired token with 403, as Helsenorge does.
 * With `requireDpop`, proofs must carry the current nonce, which rotates.
 *
 * The mock never logs or echoes a token, assertion or key.
 *
 * @example
 * ```ts
 * const auth = await createMockAuth({ clients: [{ clientId: "demo", jwks: [publicJwk] }] });
 * const { app } = createMockApp({ auth });
 * ```
 *
 * @module
 */

import { type Context, Hono, type MiddlewareHandler } from "hono";
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  EmbeddedJWK,
  errors,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from "jose";
import { SIGNING_ALGS } from "../src/auth/keys.ts";
import { MockHttpError } from "./outcome.ts";

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** A client registered with the mock's token endpoints. */
export interface MockClient {
  clientId: string;
  /** Public keys the client's assertions may be signed with. */
  jwks: JWK[];
  /** Scopes the client may ask for. @default ["Helsekontakter"] */
  scopes?: string[];
}

/** Options for {@linkcode createMockAuth}; every one has a default. */
export interface MockAuthOptions {
  /** @default no clients; add them with `registerClient` */
  clients?: MockClient[];
  /** The clock, in milliseconds since the epoch. @default Date.now */
  now?: () => number;
  /** Lifetime of issued access tokens, in seconds. @default 300 */
  tokenLifetimeSeconds?: number;
  /** Tolerance for `iat`, `nbf` and `exp`, in seconds. @default 5 */
  clockSkewSeconds?: number;
  /** Require DPoP-bound tokens and nonces everywhere. @default false */
  requireDpop?: boolean;
  /** How long a DPoP nonce stays current, in seconds. @default 60 */
  nonceLifetimeSeconds?: number;
  /** The scope the FHIR route requires. @default "Helsekontakter" */
  requiredScope?: string;
}

/** One refused request, for tests: which endpoint, the error, and why. */
export interface MockAuthRefusal {
  endpoint: "token" | "api";
  error: string;
  description: string;
}

/** What {@linkcode createMockAuth} gives back. */
export interface MockAuth {
  /** `POST /connect/token`, `POST /sts/Token` and `GET /_mock/auth`. */
  routes: Hono;
  /** The check for the FHIR route (`MockAppOptions.authorize`). */
  authorize: MiddlewareHandler;
  registerClient(client: MockClient): void;
  /** Make every token issued so far answer as expired (403). */
  expireIssuedTokens(): void;
  /** Start a new DPoP nonce now. */
  rotateNonce(): void;
  stats(): MockAuthStats;
}

/** Counters, without any token or key. */
export interface MockAuthStats {
  tokenRequests: number;
  tokensIssued: number;
  refused: MockAuthRefusal[];
  requireDpop: boolean;
}

/** Build the mock's token endpoints and FHIR-route check. */
export async function createMockAuth(
  options: MockAuthOptions = {},
): Promise<MockAuth> {
  const {
    now = Date.now,
    tokenLifetimeSeconds = 300,
    clockSkewSeconds = 5,
    requireDpop = false,
    nonceLifetimeSeconds = 60,
    requiredScope = "Helsekontakter",
  } = options;
  if (!(tokenLifetimeSeconds >= 1) || !(nonceLifetimeSeconds >= 1)) {
    throw new RangeError(
      "tokenLifetimeSeconds and nonceLifetimeSeconds must be at least 1",
    );
  }
  if (!(clockSkewSeconds >= 0)) {
    throw new RangeError("clockSkewSeconds must be >= 0");
  }

  const clients = new Map<string, Required<MockClient>>();
  const registerClient = (client: MockClient) => {
    if (client.clientId === "" || client.jwks.length === 0) {
      throw new RangeError("a mock client needs a client id and a key");
    }
    for (const jwk of client.jwks) {
      if ("d" in jwk) {
        throw new RangeError("register the public key, not the private one");
      }
    }
    clients.set(client.clientId, {
      scopes: ["Helsekontakter"],
      ...client,
    });
  };
  for (const client of options.clients ?? []) registerClient(client);

  const signing = await generateKeyPair("ES256");
  const seenAssertions = new Map<string, number>();
  const seenProofs = new Map<string, number>();
  const issued = new Set<string>();
  const expired = new Set<string>();
  const stats = { tokenRequests: 0, tokensIssued: 0 };
  const refused: MockAuthRefusal[] = [];

  let nonce = crypto.randomUUID();
  let nonceSince = now();
  const currentNonce = () => {
    if (now() - nonceSince >= nonceLifetimeSeconds * 1000) rotateNonce();
    return nonce;
  };
  const rotateNonce = () => {
    nonce = crypto.randomUUID();
    nonceSince = now();
  };

  const seconds = () => Math.floor(now() / 1000);
  const forget = (seen: Map<string, number>) => {
    for (const [id, until] of seen) if (until < seconds()) seen.delete(id);
  };

  /** An OAuth error from the token endpoint (RFC 6749 §5.2). */
  const oauthError = (
    c: Context,
    error: string,
    description: string,
    status = 400,
    headers: Record<string, string> = {},
  ) => {
    refused.push({ endpoint: "token", error, description });
    return c.json({ error, error_description: description }, status as 400, {
      "cache-control": "no-store",
      ...headers,
    });
  };

  /** Check a DPoP proof (RFC 9449 §4.3); returns its key's thumbprint. */
  const verifyProof = async (
    proof: string,
    expected: { method: string; url: string; accessToken?: string },
  ): Promise<{ jkt: string; nonce?: string } | string> => {
    let payload: JWTPayload;
    let jwk: JWK | undefined;
    try {
      const header = decodeProtectedHeader(proof);
      jwk = header.jwk as JWK | undefined;
      if (!jwk || "d" in jwk) return "the proof must carry its public jwk";
      ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
        typ: "dpop+jwt",
        algorithms: [...SIGNING_ALGS],
        currentDate: new Date(now()),
        requiredClaims: ["jti", "iat", "htm", "htu"],
      }));
    } catch {
      return "the proof is not a valid dpop+jwt signed by its embedded key";
    }
    const htu = new URL(expected.url);
    htu.search = "";
    htu.hash = "";
    if (payload.htm !== expected.method) return "htm does not match";
    if (payload.htu !== htu.href) return "htu does not match the request URL";
    if (Math.abs(seconds() - (payload.iat ?? 0)) > 60 + clockSkewSeconds) {
      return "iat is too far from now";
    }
    forget(seenProofs);
    if (seenProofs.has(payload.jti!)) return "the proof's jti was used before";
    seenProofs.set(payload.jti!, (payload.iat ?? 0) + 120);
    if (expected.accessToken !== undefined) {
      const digest = await crypto.subtle.digest(
        "SHA-256",
        new TextEncoder().encode(expected.accessToken),
      );
      const ath = btoa(String.fromCharCode(...new Uint8Array(digest)))
        .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
      if (payload.ath !== ath) return "ath does not match the access token";
    }
    return {
      jkt: await calculateJwkThumbprint(jwk),
      nonce: typeof payload.nonce === "string" ? payload.nonce : undefined,
    };
  };

  /** Check a client assertion; returns the client or why it was refused. */
  const verifyAssertion = async (
    assertion: string,
    audience: string,
  ): Promise<Required<MockClient> | string> => {
    let iss: unknown;
    try {
      iss = decodeJwt(assertion).iss;
    } catch {
      return "the client_assertion is not a JWT";
    }
    const client = typeof iss === "string" ? clients.get(iss) : undefined;
    if (!client) return "unknown client (iss)";

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        assertion,
        createLocalJWKSet({ keys: client.jwks }),
        {
          issuer: client.clientId,
          subject: client.clientId,
          audience,
          algorithms: [...SIGNING_ALGS],
          currentDate: new Date(now()),
          clockTolerance: clockSkewSeconds,
          requiredClaims: ["jti", "iat", "exp"],
        },
      ));
    } catch (error) {
      return describeJoseError(error, audience);
    }
    const { iat = 0, exp = 0, jti = "" } = payload;
    if (exp - iat > 60) {
      return `the assertion is valid for ${
        exp - iat
      } s; at most 60 s is allowed`;
    }
    if (exp - seconds() > 60 + clockSkewSeconds) {
      return `the assertion's exp is ${
        exp - seconds()
      } s ahead; at most 60 s is allowed (check the clock)`;
    }
    if (iat > seconds() + clockSkewSeconds) return "iat is in the future";
    forget(seenAssertions);
    if (seenAssertions.has(jti)) return "the assertion's jti was used before";
    seenAssertions.set(jti, exp + clockSkewSeconds);
    return client;
  };

  const tokenEndpoint = (flavour: "helseid" | "sts") => async (c: Context) => {
    stats.tokenRequests++;
    const url = new URL(c.req.url);
    const tokenUrl = `${url.origin}${url.pathname}`;
    const audience = flavour === "helseid" ? url.origin : tokenUrl;

    const type = (c.req.header("content-type") ?? "").split(";")[0].trim();
    if (type !== "application/x-www-form-urlencoded") {
      return oauthError(c, "invalid_request", "the body must be a form");
    }
    const form = new URLSearchParams(await c.req.text());
    if (form.get("grant_type") !== "client_credentials") {
      return oauthError(
        c,
        "unsupported_grant_type",
        "only client_credentials is supported",
      );
    }
    const assertion = form.get("client_assertion");
    if (form.get("client_assertion_type") !== JWT_BEARER || !assertion) {
      return oauthError(
        c,
        "invalid_client",
        `a client_assertion of type ${JWT_BEARER} is required`,
      );
    }
    const client = await verifyAssertion(assertion, audience);
    if (typeof client === "string") {
      return oauthError(c, "invalid_client", client);
    }
    if (form.has("client_id") && form.get("client_id") !== client.clientId) {
      return oauthError(c, "invalid_client", "client_id differs from iss");
    }

    // DPoP after the assertion: the jti is spent either way, so a client
    // that sent the same assertion again after a nonce challenge is refused.
    const proof = c.req.header("dpop");
    let jkt: string | undefined;
    if (proof === undefined && requireDpop) {
      return oauthError(
        c,
        "invalid_dpop_proof",
        "a DPoP proof is required",
        400,
        { "dpop-nonce": currentNonce() },
      );
    }
    if (proof !== undefined) {
      const checked = await verifyProof(proof, {
        method: "POST",
        url: tokenUrl,
      });
      if (typeof checked === "string") {
        return oauthError(c, "invalid_dpop_proof", checked);
      }
      if (requireDpop && checked.nonce !== currentNonce()) {
        return oauthError(
          c,
          "use_dpop_nonce",
          "the DPoP proof must carry the server's nonce",
          400,
          { "dpop-nonce": currentNonce() },
        );
      }
      jkt = checked.jkt;
    }

    const scope = form.get("scope") ?? requiredScope;
    const asked = scope.split(" ").filter((s) => s !== "");
    if (asked.some((s) => !client.scopes.includes(s))) {
      return oauthError(
        c,
        "invalid_scope",
        "the client may not ask for that scope",
      );
    }

    const jti = crypto.randomUUID();
    const accessToken = await new SignJWT({
      scope: asked.join(" "),
      client_id: client.clientId,
      ...(jkt ? { cnf: { jkt } } : {}),
    })
      .setProtectedHeader({ alg: "ES256", typ: "at+jwt" })
      .setIssuer(url.origin)
      .setSubject(client.clientId)
      .setAudience("helsekontakter")
      .setJti(jti)
      .setIssuedAt(seconds())
      .setExpirationTime(seconds() + tokenLifetimeSeconds)
      .sign(signing.privateKey);
    issued.add(jti);
    stats.tokensIssued++;
    return c.json(
      {
        access_token: accessToken,
        token_type: jkt ? "DPoP" : "Bearer",
        expires_in: tokenLifetimeSeconds,
        scope: asked.join(" "),
      },
      200,
      {
        "cache-control": "no-store",
        ...(requireDpop ? { "dpop-nonce": currentNonce() } : {}),
      },
    );
  };

  /** Refuse a FHIR call with an OperationOutcome and a challenge. */
  const refuse = (
    status: 401 | 403,
    scheme: string,
    error: string | undefined,
    description: string,
    extra: Record<string, string> = {},
  ): never => {
    refused.push({ endpoint: "api", error: error ?? "none", description });
    const params = [`realm="helsenorge"`];
    if (error) {
      params.push(`error="${error}"`, `error_description="${description}"`);
    }
    if (error === "insufficient_scope") params.push(`scope="${requiredScope}"`);
    throw new MockHttpError(status, [{
      code: "security",
      diagnostics: description,
    }], {
      "www-authenticate": `${scheme} ${params.join(", ")}`,
      ...extra,
    });
  };

  const authorize: MiddlewareHandler = async (c, next) => {
    const scheme = requireDpop ? "DPoP" : "Bearer";
    const header = c.req.header("authorization");
    if (!header) {
      // RFC 6750 §3.1: no error code when no credentials came at all.
      refuse(401, scheme, undefined, "an access token is required");
    }
    const match = /^(Bearer|DPoP) ([A-Za-z0-9._~+/-]+=*)$/i.exec(header!);
    if (!match) {
      refuse(
        401,
        scheme,
        "invalid_request",
        "the Authorization header is malformed",
      );
    }
    const [, given, token] = match!;
    const origin = new URL(c.req.url).origin;

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, signing.publicKey, {
        issuer: origin,
        audience: "helsekontakter",
        typ: "at+jwt",
        algorithms: ["ES256"],
        currentDate: new Date(now()),
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        // Helsenorge answers an expired token with 403, not only 401.
        refuse(403, scheme, "invalid_token", "the access token expired");
      }
      refuse(401, scheme, "invalid_token", "the access token is not valid");
    }
    if (expired.has(payload!.jti ?? "")) {
      refuse(403, scheme, "invalid_token", "the access token expired");
    }
    const scopes = String(payload!.scope ?? "").split(" ");
    if (!scopes.includes(requiredScope)) {
      refuse(
        403,
        scheme,
        "insufficient_scope",
        `the token lacks scope ${requiredScope}`,
      );
    }

    const jkt = (payload!.cnf as { jkt?: unknown } | undefined)?.jkt;
    if (typeof jkt === "string") {
      if (given.toLowerCase() !== "dpop") {
        refuse(
          401,
          "DPoP",
          "invalid_token",
          "a DPoP-bound token must be sent with the DPoP scheme",
        );
      }
      const proof = c.req.header("dpop");
      if (!proof) {
        refuse(401, "DPoP", "invalid_dpop_proof", "a DPoP proof is required");
      }
      const checked = await verifyProof(proof!, {
        method: c.req.method,
        url: c.req.url,
        accessToken: token,
      });
      if (typeof checked === "string") {
        refuse(401, "DPoP", "invalid_dpop_proof", checked);
      }
      const ok = checked as { jkt: string; nonce?: string };
      if (ok.jkt !== jkt) {
        refuse(
          401,
          "DPoP",
          "invalid_dpop_proof",
          "the proof's key is not the token's",
        );
      }
      if (requireDpop && ok.nonce !== currentNonce()) {
        refuse(
          401,
          "DPoP",
          "use_dpop_nonce",
          "the DPoP proof must carry the server's nonce",
          {
            "dpop-nonce": currentNonce(),
          },
        );
      }
    } else if (requireDpop || given.toLowerCase() === "dpop") {
      refuse(401, scheme, "invalid_token", "a DPoP-bound token is required");
    }
    await next();
  };

  const routes = new Hono();
  routes.post("/connect/token", tokenEndpoint("helseid"));
  routes.post("/sts/Token", tokenEndpoint("sts"));
  routes.get("/_mock/auth", (c) => c.json(snapshot()));

  const snapshot = (): MockAuthStats => ({
    ...stats,
    refused: [...refused],
    requireDpop,
  });

  return {
    routes,
    authorize,
    registerClient,
    expireIssuedTokens() {
      for (const jti of issued) expired.add(jti);
    },
    rotateNonce,
    stats: snapshot,
  };
}

/** Why jose refused an assertion, in words a client can act on. */
function describeJoseError(error: unknown, audience: string): string {
  if (error instanceof errors.JWTExpired) return "the assertion expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "nbf" || error.claim === "iat") {
      return `the assertion is not valid yet (${error.claim} is in the future; check the clock)`;
    }
    if (error.claim === "aud") {
      return `the assertion's aud must be ${audience}`;
    }
    return `the assertion's ${error.claim} claim is not valid (${error.reason})`;
  }
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return "the assertion's signature does not verify with the client's registered key";
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return "the assertion's alg is not allowed";
  }
  return "the client_assertion is not a valid signed JWT";
}
