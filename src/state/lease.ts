/**
 * A lease so that runs never overlap, on one machine or across Deploy
 * isolates: one holder at a time, taken and renewed with versionstamp
 * checks, released by its holder, and expiring when a crashed holder stops
 * renewing it.
 *
 * @module
 */

import { leaseKey } from "./keys.ts";

/** The lease as stored. */
export interface Lease {
  name: string;
  holder: string;
  /** ISO time after which anyone may take it. */
  expiresAt: string;
}

/** Either the lease is yours, or who holds it and until when. */
export type LeaseResult =
  | { ok: true; lease: Lease }
  | { ok: false; heldBy: string; until: string };

/** KV's own expiry comes this long after `expiresAt`, as a backstop. */
const BACKSTOP_MS = 60_000;

/**
 * Take the lease if it is free, expired or already `holder`'s.
 *
 * @example
 * ```ts
 * const lease = await acquireLease(kv, "sync", "cli-4711", 10 * 60_000, new Date());
 * if (!lease.ok) throw new Error(`a run is going on until ${lease.until}`);
 * ```
 */
export async function acquireLease(
  kv: Deno.Kv,
  name: string,
  holder: string,
  ttlMs: number,
  now: Date,
): Promise<LeaseResult> {
  checkTtl(ttlMs);
  for (let round = 0; round < 3; round++) {
    const current = await kv.get<Lease>(leaseKey(name));
    const held = current.value;
    if (
      held && held.holder !== holder && held.expiresAt > now.toISOString()
    ) {
      return { ok: false, heldBy: held.holder, until: held.expiresAt };
    }
    // Two runs opening one SQLite file at once: the loser of simultaneous
    // commits is told "database is locked" instead of waiting. That is a
    // lost race, like a failed check: let the winner's commit land, then
    // read again and see who won.
    const result = await write(kv, name, holder, ttlMs, now, current)
      .catch(async (error) => {
        if (!String(error?.message).includes("database is locked")) throw error;
        await new Promise((resolve) => setTimeout(resolve, 25 * (round + 1)));
        return undefined;
      });
    if (result) return result;
  }
  const held = (await kv.get<Lease>(leaseKey(name))).value;
  return {
    ok: false,
    heldBy: held?.holder ?? "",
    until: held?.expiresAt ?? "",
  };
}

/** Extend the lease; refused if it is no longer `holder`'s. */
export async function renewLease(
  kv: Deno.Kv,
  name: string,
  holder: string,
  ttlMs: number,
  now: Date,
): Promise<LeaseResult> {
  checkTtl(ttlMs);
  const current = await kv.get<Lease>(leaseKey(name));
  const held = current.value;
  if (!held || held.holder !== holder) {
    return {
      ok: false,
      heldBy: held?.holder ?? "",
      until: held?.expiresAt ?? "",
    };
  }
  return await write(kv, name, holder, ttlMs, now, current) ??
    { ok: false, heldBy: "", until: "" };
}

/** Give the lease up; does nothing unless `holder` holds it. */
export async function releaseLease(
  kv: Deno.Kv,
  name: string,
  holder: string,
): Promise<boolean> {
  const current = await kv.get<Lease>(leaseKey(name));
  if (current.value?.holder !== holder) return false;
  const result = await kv.atomic().check(current).delete(leaseKey(name))
    .commit();
  return result.ok;
}

async function write(
  kv: Deno.Kv,
  name: string,
  holder: string,
  ttlMs: number,
  now: Date,
  current: Deno.KvEntryMaybe<Lease>,
): Promise<LeaseResult | undefined> {
  const lease = {
    name,
    holder,
    expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
  };
  const result = await kv.atomic().check(current)
    .set(leaseKey(name), lease, { expireIn: ttlMs + BACKSTOP_MS })
    .commit();
  return result.ok ? { ok: true, lease } : undefined;
}

function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(
      `Cannot take the lease: ttl ${ttlMs} ms is not a positive duration`,
    );
  }
}
