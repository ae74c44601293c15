/**
 * Which citizens the mock treats as not consented (not active on Helsenorge).
 *
 * The rule is deterministic so tests and demos can predict it:
 *
 * 1. an id in the explicit `notConsented` list is not consented;
 * 2. otherwise an id is not consented when its score is below
 *    `notConsentedFraction`, where the score is the first four bytes of
 *    HMAC-SHA256(key = UTF-8 `consentKey`, message = UTF-8 id) read as a
 *    big-endian unsigned 32-bit integer, divided by 2^32.
 *
 * A fraction of 0 consents everyone (but the list); 1 consents no one.
 *
 * @module
 */

import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";

/** The consent rule's settings. */
export interface ConsentSettings {
  /** National ids (11 digits) that are never consented. */
  notConsented: readonly string[];
  /** Share of other ids that are not consented, 0..1. */
  notConsentedFraction: number;
  /** HMAC key that decides which ids fall in that share. */
  consentKey: string;
}

/** The defaults used by the demo. */
export const DEFAULT_CONSENT: Readonly<ConsentSettings> = Object.freeze({
  notConsented: Object.freeze([]) as readonly string[],
  notConsentedFraction: 0.1,
  consentKey: "medlemsbro-mock",
});

/** The last key prepared, kept because it rarely changes. */
let prepared:
  | { key: string; keyed: ReturnType<typeof hmac.create> }
  | undefined;
const encoder = new TextEncoder();

/**
 * The id's score in [0, 1): the first 32 bits of HMAC-SHA256(consentKey, id)
 * over 2^32.
 *
 * @example
 * ```ts
 * const score = consentScore("medlemsbro-mock", "23907640450");
 * ```
 */
export function consentScore(consentKey: string, nationalId: string): number {
  // Synchronous (@noble/hashes): a Web Crypto promise per id was the
  // mock's largest cost per member. The key's pads are hashed once and the
  // keyed state cloned for each id.
  if (prepared?.key !== consentKey) {
    prepared = {
      key: consentKey,
      keyed: hmac.create(sha256, encoder.encode(consentKey)),
    };
  }
  const mac = prepared.keyed.clone().update(encoder.encode(nationalId))
    .digest();
  return ((mac[0] << 24 | mac[1] << 16 | mac[2] << 8 | mac[3]) >>> 0) /
    2 ** 32;
}

/** Whether the mock treats the citizen as consented. */
export function isConsented(
  settings: ConsentSettings,
  nationalId: string,
): boolean {
  if (settings.notConsented.includes(nationalId)) return false;
  if (settings.notConsentedFraction <= 0) return true;
  const score = consentScore(settings.consentKey, nationalId);
  return score >= settings.notConsentedFraction;
}

/**
 * Check consent settings given by a caller and fill in defaults; throws a
 * `RangeError` naming the bad setting (never the id itself).
 */
export function resolveConsentSettings(
  input: Partial<ConsentSettings>,
  base: Readonly<ConsentSettings> = DEFAULT_CONSENT,
): ConsentSettings {
  const {
    notConsented = base.notConsented,
    notConsentedFraction = base.notConsentedFraction,
    consentKey = base.consentKey,
  } = input;

  if (
    !Number.isFinite(notConsentedFraction) || notConsentedFraction < 0 ||
    notConsentedFraction > 1
  ) {
    throw new RangeError(
      `notConsentedFraction must be a number from 0 to 1, got ${notConsentedFraction}`,
    );
  }
  if (consentKey.length === 0) {
    throw new RangeError("consentKey must not be empty");
  }
  const ids = notConsented.map((id) => id.trim());
  const bad = ids.findIndex((id) => !/^\d{11}$/.test(id));
  if (bad !== -1) {
    throw new RangeError(
      `notConsented[${bad}] must be a national id of 11 digits`,
    );
  }
  return { notConsented: [...new Set(ids)], notConsentedFraction, consentKey };
}
