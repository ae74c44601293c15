/**
 * How a member's state is kept in the KV (schema 2): its fields as a JSON
 * array in one string, rather than an object with field names.
 *
 * At a million members the names were most of each value: the store was
 * ~500 MB, and serializing, writing and reading it cost accordingly. The
 * value is ~40 % of the size and measurably faster to write
 * (docs/performance.md). Fields that the key or another field already
 * gives are not kept: the organization number is in the key, and the
 * masked id is derived from the id. Known codes (identifier system,
 * status, outcome) are kept as small numbers and ISO times as epoch
 * milliseconds, each falling back to the text itself when it is not one
 * this code knows or would not come back the same, so nothing is lost.
 *
 * `decodeMember` also reads the schema 1 object, so a store is readable
 * while the migration to schema 2 runs.
 *
 * @module
 */

import { maskNationalId } from "../identifiers/mask.ts";
import { memo } from "../memo.ts";
import {
  D_NUMMER_SYSTEM,
  FODSELSNUMMER_SYSTEM,
} from "../identifiers/systems.ts";
import {
  MEMBER_STATUSES,
  type MemberBasis,
  type MemberState,
} from "./member_state.ts";

const SYSTEMS: readonly string[] = [FODSELSNUMMER_SYSTEM, D_NUMMER_SYSTEM];
const OUTCOMES: readonly string[] = [
  "stored",
  "not-consented",
  "invalid",
  "failed",
];

/** A code from `list`, or the text itself when it is not in the list. */
type Coded = number | string;
/** Epoch milliseconds, or the text when it would not come back the same. */
type Time = number | string | null;

/**
 * The value stored under a member key: `JSON.stringify` of
 * {@linkcode MemberFields}. One string is the cheapest value for KV to
 * serialize, and the smallest to hold while a run holds writes back.
 */
export type MemberValue = string;

/** A member's fields in the stored order: the order is the format. */
export type MemberFields = [
  nationalId: string,
  idSystem: Coded,
  start: string,
  end: string,
  row: number | null,
  contentHash: string,
  status: Coded,
  lastOutcome: Coded | null,
  attempts: number,
  lastAttemptAt: Time,
  nextRetryAt: Time,
  endedAt: Time,
  lastRunId: string | null,
  reason: string | null,
];

/** The value to store for `state`. */
export function encodeMember(state: MemberState): MemberValue {
  const fields: MemberFields = [
    state.nationalId,
    encodeSystem(state.idSystem),
    state.start,
    state.end,
    state.row ?? null,
    state.contentHash,
    code(MEMBER_STATUSES, state.status),
    state.lastOutcome === undefined ? null : code(OUTCOMES, state.lastOutcome),
    state.attempts,
    time(state.lastAttemptAt),
    time(state.nextRetryAt),
    time(state.endedAt),
    state.lastRunId ?? null,
    state.reason ?? null,
  ];
  return JSON.stringify(fields);
}

/**
 * The state kept under `["member", organizationNumber, idKey]`, from either
 * schema's value.
 */
export function decodeMember(
  value: MemberValue | MemberState,
  organizationNumber: string,
): MemberState {
  if (typeof value !== "string") return value;
  const [
    nationalId,
    idSystem,
    start,
    end,
    row,
    contentHash,
    status,
    lastOutcome,
    attempts,
    lastAttemptAt,
    nextRetryAt,
    endedAt,
    lastRunId,
    reason,
  ] = JSON.parse(value) as MemberFields;
  const state: MemberState = {
    nationalId,
    idSystem: decodeSystem(idSystem),
    organizationNumber,
    start,
    end,
    masked: maskNationalId(nationalId),
    contentHash,
    status: decode(MEMBER_STATUSES, status) as MemberState["status"],
    attempts,
  };
  // Absent fields stay absent, as in a state built by the outcome rules.
  if (row !== null) state.row = row;
  if (lastOutcome !== null) {
    state.lastOutcome = decode(OUTCOMES, lastOutcome) as MemberState[
      "lastOutcome"
    ];
  }
  if (lastAttemptAt !== null) state.lastAttemptAt = iso(lastAttemptAt);
  if (nextRetryAt !== null) state.nextRetryAt = iso(nextRetryAt);
  if (endedAt !== null) state.endedAt = iso(endedAt);
  if (lastRunId !== null) state.lastRunId = lastRunId;
  if (reason !== null) state.reason = reason;
  return state;
}

/**
 * An identifier system as stored: 0 for fødselsnummer, 1 for D-nummer,
 * else the text (also for the in-flight journal).
 */
export function encodeSystem(idSystem: string): number | string {
  return code(SYSTEMS, idSystem);
}

/** The identifier system {@linkcode encodeSystem} stored. */
export function decodeSystem(stored: number | string): string {
  return decode(SYSTEMS, stored);
}

function code(list: readonly string[], value: string): Coded {
  const index = list.indexOf(value);
  return index === -1 ? value : index;
}

function decode(list: readonly string[], value: Coded): string {
  return typeof value === "number" ? list[value] : value;
}

/** A batch's members share their times: each is converted once. */
const encodedTime = memo((text: string) => {
  const ms = Date.parse(text);
  return {
    time: Number.isFinite(ms) && new Date(ms).toISOString() === text
      ? ms
      : text,
  };
}, 256);

function time(value: string | undefined): Time {
  return value === undefined ? null : encodedTime(value).time;
}

function iso(value: number | string): string {
  return typeof value === "number" ? new Date(value).toISOString() : value;
}

/** Just what a run's snapshot keeps of a stored value (see snapshot.ts). */
export function decodeBasis(value: MemberValue | MemberState): MemberBasis {
  if (typeof value !== "string") return value;
  const fields = JSON.parse(value) as MemberFields;
  const [, , , , row, contentHash, status, lastOutcome, attempts] = fields;
  const nextRetryAt = fields[10];
  const lastRunId = fields[12];
  return {
    contentHash,
    status: decode(MEMBER_STATUSES, status) as MemberState["status"],
    lastOutcome: lastOutcome === null
      ? undefined
      : decode(OUTCOMES, lastOutcome) as MemberState["lastOutcome"],
    attempts,
    nextRetryAt: nextRetryAt === null ? undefined : iso(nextRetryAt),
    lastRunId: lastRunId ?? undefined,
    row: row ?? undefined,
  };
}
