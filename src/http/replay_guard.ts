/**
 * Refuses a signed request seen before: each signature is reserved in KV
 * (`["wh", "seen-signature", hex]`) for twice the allowed clock skew, and
 * written with a "must not exist" check, so of two identical requests racing
 * only one passes. Older copies are refused by their timestamp anyway.
 *
 * Decision (docs/webhooks.md): the same signature again is refused with 409;
 * a caller resending after a lost answer signs again (new timestamp), and
 * event ids make that resend harmless. A request refused after
 * authentication (4xx/5xx) releases its signature: it changed nothing, so
 * the same signed request may come again once corrected (e.g. its
 * `Content-Type`).
 *
 * @module
 */

export interface ReplayGuard {
  /** Reserve a signature: true the first time it is seen, false after. */
  firstUse(signature: string): Promise<boolean>;
  /** Give back a reserved signature whose request was refused. */
  release(signature: string): Promise<void>;
}

export function kvReplayGuard(
  kv: Deno.Kv,
  options: { maxSkewSeconds: number },
): ReplayGuard {
  const expireIn = options.maxSkewSeconds * 2 * 1000;
  return {
    async firstUse(signature) {
      const key = ["wh", "seen-signature", signature];
      const result = await kv.atomic()
        .check({ key, versionstamp: null })
        .set(key, 1, { expireIn })
        .commit();
      return result.ok;
    },
    async release(signature) {
      await kv.delete(["wh", "seen-signature", signature]);
    },
  };
}
