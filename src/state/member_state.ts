/**
 * What the state store keeps per member, and the shapes callers pass in.
 *
 * @module
 */

/**
 * A member's digital status as far as Medlemsbro knows it.
 *
 * - `stored`: Helsenorge answered that it stored this content.
 * - `not-consented`: the citizen is not active on Helsenorge; retried on a
 *   back-off schedule.
 * - `invalid`: Helsenorge refused the content; resent only when it changes.
 * - `pending`: sent (or about to be) with no recorded answer, or the last
 *   call failed; always resent.
 * - `ended`: the membership ended (absent from a full export); kept so a
 *   member who comes back is sent again.
 */
export type MemberStatus =
  | "stored"
  | "not-consented"
  | "invalid"
  | "pending"
  | "ended";

/** Every status, in the order reports show them. */
export const MEMBER_STATUSES: readonly MemberStatus[] = [
  "stored",
  "not-consented",
  "invalid",
  "pending",
  "ended",
];

/** What one member call answered for one member. */
export type Outcome = "stored" | "not-consented" | "invalid" | "failed";

/**
 * The fields that are sent for a member: structurally the same as
 * `Member` from `src/input/member.ts`, so a validated member can be passed
 * as it is.
 */
export interface MemberRef {
  /** The 11 digits. Never log this; the store shows `masked` instead. */
  nationalId: string;
  /** Identifier system of `nationalId` (fødselsnummer or D-nummer). */
  idSystem: string;
  /** Nine digits, no spaces. */
  organizationNumber: string;
  /** `YYYY-MM-DD`. */
  start: string;
  /** `YYYY-MM-DD`. */
  end: string;
  /** Row in the export it came from, when known. */
  row?: number;
}

/**
 * The value stored under `["member", organizationNumber, idKey]`.
 *
 * It holds the full national id, because ended memberships and retries must
 * send it again without the export at hand; nothing else in the store (keys
 * when an id-key secret is set, run records, counters) does.
 */
export interface MemberState {
  /** {@linkcode contentHash} of the content last sent or about to be sent. */
  contentHash: string;
  status: MemberStatus;
  /** The last answer recorded, if any. */
  lastOutcome?: Outcome;
  /** Why Helsenorge refused the member, or why the call failed (no ids). */
  reason?: string;
  /** Consecutive recorded answers equal to `lastOutcome` (1 after the first). */
  attempts: number;
  /** ISO time of the last recorded answer. */
  lastAttemptAt?: string;
  /** ISO time from which a retry is due; mirrored in the `due` index. */
  nextRetryAt?: string;
  /** ISO time the membership was marked ended. */
  endedAt?: string;
  /** Id of the run that last wrote this record. */
  lastRunId?: string;
  nationalId: string;
  idSystem: string;
  organizationNumber: string;
  start: string;
  end: string;
  row?: number;
  /** The national id masked for display (birth date digits only). */
  masked: string;
}

/**
 * What the delta plan, the outcome rules and the writer need of a stored
 * record. The run's snapshot (snapshot.ts) keeps this per member, except
 * `row`, which only matters for a member given without one.
 */
export type MemberBasis = Pick<
  MemberState,
  | "contentHash"
  | "status"
  | "lastOutcome"
  | "attempts"
  | "nextRetryAt"
  | "lastRunId"
  | "row"
>;

/** A member record as read, with what is needed to write it back safely. */
export interface StoredMember {
  idKey: string;
  state: MemberState;
  /**
   * As read from the KV; empty when the record is not as in the KV: a
   * snapshot's stand-in, or a write the store holds back under the lease.
   */
  versionstamp: string;
}
