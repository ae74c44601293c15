/**
 * The client's {@linkcode RequestAuthorizer}: puts the access token (and a
 * DPoP proof when the token is DPoP-bound) on each call to Helsenorge, and
 * answers the API's refusals:
 *
 * - `401`/`403`: Helsenorge answers an expired token with 403 as well as
 *   401, and issues no refresh tokens, so the token is dropped and the call
 *   tried once more with a new one ("token").
 * - `WWW-Authenticate: DPoP error="use_dpop_nonce"` with a `DPoP-Nonce`
 *   header: the nonce is kept and the call tried once more ("dpop-nonce",
 *   RFC 9449 §9).
 *
 * @example
 * ```ts
 * const client = new HelsenorgeClient({
 *   baseUrl,
 *   authorize: createAuthorizer({ tokens, dpop }),
 * });
 * ```
 *
 * @module
 */

import type { AuthRefusal, RequestAuthorizer } from "../helsenorge/client.ts";
import type { DpopProofer } from "./dpop.ts";
import type { TokenSource } from "./token_source.ts";

/** Options for {@linkcode createAuthorizer}. */
export interface AuthorizerOptions {
  tokens: Pick<TokenSource, "get" | "invalidate">;
  /** The proofer the token source binds tokens to; needed for DPoP tokens. */
  dpop?: DpopProofer;
}

/** Build the authorizer for `HelsenorgeClient`'s `authorize` option. */
export function createAuthorizer(
  options: AuthorizerOptions,
): RequestAuthorizer {
  const { tokens, dpop } = options;
  // The resource server's latest nonce; the token endpoint keeps its own.
  let nonce: string | undefined;

  return {
    async headers({ method, url }): Promise<Record<string, string>> {
      const token = await tokens.get();
      if (token.type === "Bearer") {
        return { authorization: `Bearer ${token.value}` };
      }
      if (!dpop) {
        throw new TypeError("a DPoP-bound token needs the DPoP proofer");
      }
      return {
        authorization: `DPoP ${token.value}`,
        dpop: await dpop.proof({
          method,
          url,
          nonce,
          accessToken: token.value,
        }),
      };
    },

    onRefused({ status, headers, sent }: AuthRefusal) {
      const challenge = headers.get("www-authenticate") ?? "";
      const given = headers.get("dpop-nonce");
      if (dpop && given && /\berror="use_dpop_nonce"/.test(challenge)) {
        nonce = given;
        return Promise.resolve("dpop-nonce");
      }
      if (status !== 401 && status !== 403) return Promise.resolve(undefined);
      const used = /^(?:Bearer|DPoP) (.+)$/.exec(sent.authorization ?? "")
        ?.[1];
      if (used !== undefined) tokens.invalidate(used);
      return Promise.resolve("token");
    },
  };
}
