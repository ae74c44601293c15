/**
 * The offerings Helsenorge last accepted, kept so scheduled jobs can resend
 * them and the operator page can show them. Offerings hold no personal data.
 *
 * Key: `["offerings", "current"]` → {@linkcode SavedOfferings}.
 *
 * @module
 */

import type { Offerings } from "../input/offering.ts";

const KEY = ["offerings", "current"];

export interface SavedOfferings {
  offerings: Offerings;
  /** ISO time Helsenorge accepted them. */
  acceptedAt: string;
}

/** Remember offerings Helsenorge accepted. */
export async function saveOfferings(
  kv: Deno.Kv,
  offerings: Offerings,
  acceptedAt: Date,
): Promise<void> {
  await kv.set(KEY, { offerings, acceptedAt: acceptedAt.toISOString() });
}

/** The offerings last accepted, if any. */
export async function loadOfferings(
  kv: Deno.Kv,
): Promise<SavedOfferings | undefined> {
  return (await kv.get<SavedOfferings>(KEY)).value ?? undefined;
}
