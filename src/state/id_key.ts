/**
 * The national id's part of a member key: the id itself, or a keyed hash.
 *
 * Keys are the part of a KV store that tools list and print (the Deploy
 * dashboard, `kv.list` while debugging, error messages about a key), so with
 * a secret the key holds HMAC-SHA-256(secret, national id) cut to 128 bits
 * instead of the id. A plain hash would not do: there are only about 10^8
 * valid national ids, so an unkeyed hash is reversed by trying them all.
 * The value still holds the id (ended memberships and retries must send it),
 * so the keyed hash protects keys, not a copy of the whole database.
 *
 * @module
 */

import { MedlemsbroError } from "../errors.ts";

/** How member keys hold the national id. */
export interface IdKeyer {
  readonly mode: "plain" | "hmac-sha256";
  /** Identifies the secret (an HMAC of a fixed label), never the secret. */
  readonly fingerprint: string;
  /** The key parts for many ids, in order. */
  keys(nationalIds: readonly string[]): Promise<string[]>;
}

const encoder = new TextEncoder();

/**
 * Plain ids without a secret; HMAC-SHA-256 with one (at least 32 bytes).
 *
 * @example
 * ```ts
 * const keyer = await createIdKeyer(secretBytes);
 * const [key] = await keyer.keys(["23907640450"]); // 22 base64url characters
 * ```
 */
export async function createIdKeyer(secret?: Uint8Array): Promise<IdKeyer> {
  if (secret === undefined) {
    return {
      mode: "plain",
      fingerprint: "",
      keys: (ids) => Promise.resolve([...ids]),
    };
  }
  if (secret.byteLength < 32) {
    throw new MedlemsbroError(
      "ERR_STATE_ID_KEY_SECRET",
      `Cannot use the id-key secret: it has ${secret.byteLength} bytes, at least 32 are needed`,
    );
  }

  const key = await crypto.subtle.importKey(
    "raw",
    new Uint8Array(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const hmac = async (text: string) =>
    base64url(
      new Uint8Array(
        await crypto.subtle.sign("HMAC", key, encoder.encode(text)),
        0,
        16,
      ),
    );
  return {
    mode: "hmac-sha256",
    fingerprint: await hmac("medlemsbro id-key fingerprint"),
    keys: (ids) => Promise.all(ids.map(hmac)),
  };
}

/** Refuse a store whose keys were made another way or with another secret. */
export function checkIdKeyMode(
  stored: { mode: string; fingerprint: string },
  keyer: IdKeyer,
): void {
  if (
    stored.mode !== keyer.mode || stored.fingerprint !== keyer.fingerprint
  ) {
    throw new MedlemsbroError(
      "ERR_STATE_ID_KEY_MISMATCH",
      `Cannot open the state store: its member keys were made with ${
        stored.mode === "plain" ? "plain national ids" : "an id-key secret"
      }, but this configuration uses ${
        keyer.mode === "plain" ? "none" : "a different or new secret"
      }; use the original secret, or a new store`,
    );
  }
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-")
    .replace(/\//g, "_").replace(/=+$/, "");
}
