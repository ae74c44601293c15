/**
 * Opaque member references for the operator page: a member is named in the
 * HTML by `organization number | idKey` sealed with AES-256-GCM under a key
 * derived from the session secret, never by the national id (which the idKey
 * is when the store has no id-key secret). Only this server can open one;
 * a changed byte fails the GCM tag.
 *
 * @module
 */

import { base64url, fromBase64url } from "./password.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CONTEXT = encoder.encode("medlemsbro member-ref v1");

/** Seals and opens member references with one key. */
export interface MemberRefs {
  seal(ref: MemberKey): Promise<string>;
  /** `undefined` when the reference is not one of ours. */
  open(token: string): Promise<MemberKey | undefined>;
}

/** A member record's key parts. */
export interface MemberKey {
  organizationNumber: string;
  idKey: string;
}

/** Member references under a key derived from `secret`. */
export async function memberRefs(secret: string): Promise<MemberRefs> {
  const material = await crypto.subtle.digest(
    "SHA-256",
    encoder.encode(`medlemsbro operator member-ref\0${secret}`),
  );
  const key = await crypto.subtle.importKey(
    "raw",
    material,
    "AES-GCM",
    false,
    ["encrypt", "decrypt"],
  );
  return {
    async seal({ organizationNumber, idKey }) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: CONTEXT },
        key,
        encoder.encode(`${organizationNumber}|${idKey}`),
      );
      const out = new Uint8Array(12 + sealed.byteLength);
      out.set(iv);
      out.set(new Uint8Array(sealed), 12);
      return base64url(out);
    },
    async open(token) {
      const bytes = fromBase64url(token);
      if (!bytes || bytes.length < 12 + 16 + 3) return undefined;
      try {
        const plain = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: bytes.slice(0, 12), additionalData: CONTEXT },
          key,
          bytes.slice(12),
        );
        const text = decoder.decode(plain);
        const bar = text.indexOf("|");
        if (bar < 1) return undefined;
        return {
          organizationNumber: text.slice(0, bar),
          idKey: text.slice(bar + 1),
        };
      } catch {
        return undefined;
      }
    },
  };
}
