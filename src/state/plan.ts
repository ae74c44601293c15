/**
 * The delta decision: whether a member in an export must be sent.
 *
 * @module
 */

import type { MemberBasis } from "./member_state.ts";

/**
 * - `send`: new, changed, pending (no answer recorded), ended and back,
 *   not consented and due for a retry, or forced.
 * - `skip-unchanged`: Helsenorge already holds (or refused as invalid)
 *   exactly this content.
 * - `skip-not-due`: not consented, unchanged, and the next retry is later.
 */
export type PlanDecision = "send" | "skip-unchanged" | "skip-not-due";

/** Options for {@linkcode planMember}. */
export interface PlanOptions {
  /** Send whatever the state says. @default false */
  force?: boolean;
}

/**
 * Decide whether to send a member, from its stored state and the hash of
 * what would be sent now. Pure: it reads no store and no clock.
 *
 * @example
 * ```ts
 * planMember(existing, { hash: contentHash(member) }, now); // "skip-unchanged"
 * ```
 */
export function planMember(
  existing: MemberBasis | undefined,
  incoming: { hash: string },
  now: Date,
  options: PlanOptions = {},
): PlanDecision {
  const { force = false } = options;

  if (force || existing === undefined) return "send";
  if (existing.contentHash !== incoming.hash) return "send";

  switch (existing.status) {
    case "stored":
      return "skip-unchanged";
    case "invalid":
      // The same content would be refused again; a change is sent.
      return "skip-unchanged";
    case "not-consented":
      return existing.nextRetryAt === undefined ||
          existing.nextRetryAt <= now.toISOString()
        ? "send"
        : "skip-not-due";
    case "pending":
    case "ended":
      return "send";
  }
}
