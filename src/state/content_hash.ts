/**
 * A stable fingerprint of what is sent for a member, so an unchanged member
 * in tonight's export is not sent again.
 *
 * FNV-1a 64 over a canonical string, computed with 32-bit integer halves.
 * It only has to tell one member's old content from its new content (never
 * to resist someone choosing collisions: whoever edits the export can send
 * anything anyway), so a 64-bit non-cryptographic hash is enough: the chance
 * that a real change goes unnoticed is about 2^-64 per change. Measured on
 * 100 000 members it is several times faster than SHA-1 or SHA-256 through
 * `crypto.subtle`, which is asynchronous and costs a promise per member
 * (numbers in docs/state.md).
 *
 * @module
 */

import type { MemberRef } from "./member_state.ts";

/**
 * Version of the canonical form. Changing the form changes every hash, which
 * makes the next run send everyone once: bump it deliberately.
 */
const CANONICAL_VERSION = "v1";

/**
 * The hash of a member's sent content: identifier system, national id,
 * organization number, start and end. Sixteen lowercase hex digits.
 *
 * @example
 * ```ts
 * const hash = contentHash(member); // "9f1c0a6b2e4d7c31"
 * ```
 */
export function contentHash(
  member: Pick<
    MemberRef,
    "idSystem" | "nationalId" | "organizationNumber" | "start" | "end"
  >,
): string {
  return fnv1a64(
    [
      CANONICAL_VERSION,
      member.idSystem,
      member.nationalId,
      member.organizationNumber,
      member.start,
      member.end,
    ].join("|"),
  );
}

/**
 * FNV-1a 64 of `text`, as 16 hex digits. Each UTF-16 code unit is hashed as
 * its low byte, then its high byte when it has one; for ASCII (all the
 * canonical fields) that is exactly FNV-1a over the UTF-8 bytes.
 */
export function fnv1a64(text: string): string {
  // The 64-bit state as four 16-bit limbs; offset basis 0xcbf29ce484222325.
  let h0 = 0x2325, h1 = 0x8422, h2 = 0x9ce4, h3 = 0xcbf2;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    for (let byte = code & 0xff, more = code > 0xff;; more = false) {
      h0 ^= byte;
      // Multiply by the FNV prime 2^40 + 0x1b3, limb by limb, mod 2^64.
      const t0 = h0 * 0x1b3;
      const t1 = h1 * 0x1b3;
      const t2 = h2 * 0x1b3 + (h0 << 8);
      const t3 = h3 * 0x1b3 + (h1 << 8);
      const c1 = t1 + (t0 >>> 16);
      const c2 = t2 + (c1 >>> 16);
      const c3 = t3 + (c2 >>> 16);
      h0 = t0 & 0xffff;
      h1 = c1 & 0xffff;
      h2 = c2 & 0xffff;
      h3 = c3 & 0xffff;
      if (!more) break;
      byte = code >> 8;
    }
  }
  return hex4(h3) + hex4(h2) + hex4(h1) + hex4(h0);
}

function hex4(limb: number): string {
  return limb.toString(16).padStart(4, "0");
}
