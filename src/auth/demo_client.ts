/**
 * The demo client of the in-process mock: a client id and an EC key made in
 * memory for one run, registered with that mock only. Nothing is fetched or
 * written, so `--env mock` and `deno task demo` need no set-up.
 *
 * @module
 */

import {
  generateSigningKeyPair,
  loadSigningKey,
  type SigningKey,
} from "./keys.ts";

/** The demo client's id at the mock. */
export const DEMO_CLIENT_ID = "medlemsbro-demo";

/** Make the demo client: its signing key and the public JWK to register. */
export async function createDemoClient(): Promise<
  { clientId: string; key: SigningKey }
> {
  const pair = await generateSigningKeyPair("ES256");
  const key = await loadSigningKey({
    text: JSON.stringify(pair.privateJwk),
    source: "the demo key",
  });
  return { clientId: DEMO_CLIENT_ID, key };
}
