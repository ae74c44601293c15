/**
 * Refuses a signed request seen before: each accepted signature is kept in
 * KV (`["wh", "seen-signature", hex]`) for twice the allowed clock skew, and
 * written with a "must not exist" check, so of two identical requests racing
 * only one passes. Older copies are refused by their timestamp anyway.
 *
 * Decision (docs/webhooks.md): the same signature again is refused with 409;
 * a caller resending after a lost answer signs again (new timestamp), and
 * event ids make that resend harmless.
 *
 * @module
 */

export interface ReplayGuard {
  /** True the first time a signature is seen, false after. */
  firstUse(signature: string): Promise<boolean>;
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
  };
}
