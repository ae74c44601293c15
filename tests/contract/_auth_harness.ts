/**
 * An in-process mock with strict token endpoints and a client wired to it
 * through the real auth code, for the auth contract tests. Everything the
 * tests see (errors, reports, the mock's stats) is collected in `seen`, to be
 * scanned for secrets at the end.
 */

import { createMockApp } from "../../mock-helsenorge/app.ts";
import {
  createMockAuth,
  type MockAuth,
  type MockAuthOptions,
} from "../../mock-helsenorge/auth.ts";
import { createAuthorizer } from "../../src/auth/authorizer.ts";
import { createDemoClient } from "../../src/auth/demo_client.ts";
import { createDpopProofer, type DpopProofer } from "../../src/auth/dpop.ts";
import type { SigningKey } from "../../src/auth/keys.ts";
import {
  helseIdTokenUrl,
  stsTokenUrl,
  type TokenFlavour,
  TokenSource,
  type TokenSourceOptions,
} from "../../src/auth/token_source.ts";
import { HelsenorgeClient } from "../../src/helsenorge/client.ts";
import type { MockStore } from "../../mock-helsenorge/store.ts";

export const ORIGIN = "http://mock.test";
export const BASE = `${ORIGIN}/helsekontakter/api/v1`;

/** A clock tests move; shared by the mock and the client when wanted. */
export function testClock(start = Date.UTC(2026, 0, 5, 8, 0, 0)) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

export interface HarnessOptions {
  flavour?: TokenFlavour;
  /** The client asks for DPoP-bound tokens. */
  dpop?: boolean;
  mock?: MockAuthOptions;
  /** Register this public JWK instead of the signing key's. */
  registerKey?: SigningKey;
  /** Extra TokenSource options (audience, jti, now, scope). */
  tokens?: Partial<TokenSourceOptions>;
  /** The client's clock. @default the mock's */
  clientNow?: () => number;
}

export interface Harness {
  auth: MockAuth;
  store: MockStore;
  client: HelsenorgeClient;
  tokens: TokenSource;
  dpop?: DpopProofer;
  key: SigningKey;
  clientId: string;
  fetch: typeof fetch;
  /** Every text the run showed: collected for the secrets scan. */
  seen: string[];
}

/** The mock's app answering `fetch` in-process, at {@linkcode ORIGIN}. */
export async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const { flavour = "helseid" } = options;
  const seen: string[] = [];
  const auth = await createMockAuth(options.mock);
  const { app, store } = createMockApp({
    auth,
    notConsentedFraction: 0,
    now: options.mock?.now,
    log: (line) => seen.push(line),
  });
  const fetch = ((input: RequestInfo | URL, init?: RequestInit) =>
    app.request(
      input instanceof Request ? input : String(input),
      init,
    )) as typeof globalThis.fetch;

  const { clientId, key } = await createDemoClient();
  const registered = options.registerKey ?? key;
  auth.registerClient({ clientId, jwks: [registered.publicJwk] });

  const dpop = options.dpop
    ? await createDpopProofer({ now: options.clientNow ?? options.mock?.now })
    : undefined;
  const tokens = new TokenSource({
    flavour,
    tokenUrl: flavour === "helseid"
      ? helseIdTokenUrl(ORIGIN)
      : stsTokenUrl(BASE),
    clientId,
    key,
    dpop,
    fetch,
    now: options.clientNow ?? options.mock?.now,
    ...options.tokens,
  });
  const client = new HelsenorgeClient({
    baseUrl: BASE,
    fetch,
    authorize: createAuthorizer({ tokens, dpop }),
    sleep: () => Promise.resolve(),
    retry: { maxAttempts: 2 },
  });
  return { auth, store, client, tokens, dpop, key, clientId, fetch, seen };
}

/** JWTs, PEM blocks and private JWK members: none may show anywhere. */
export function assertNoSecrets(texts: string[], where: string): void {
  const patterns = [
    /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/,
    /-----BEGIN [A-Z ]*KEY-----/,
    /"d"\s*:/,
  ];
  for (const text of texts) {
    for (const pattern of patterns) {
      if (pattern.test(text)) {
        throw new Error(`${where} shows secret material (${pattern.source})`);
      }
    }
  }
}
