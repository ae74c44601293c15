/**
 * Duplicate members: the same national id for the same organization on two
 * rows of one export. Both rows would become the same conditional update, so
 * the later one would silently win; the later row is reported as a
 * "duplicate" warning naming the first.
 *
 * Kept apart from validateMember, which looks at one row at a time.
 *
 * Memory stays small at a million members: no key strings are kept, only
 * each national id as a number with its first row, packed into 8 bytes, in
 * one table per organization. The ids are kept exactly, so two members are
 * never mistaken for one.
 *
 * @module
 */

import { maskNationalId } from "../identifiers/mask.ts";
import type { Member } from "./member.ts";
import type { Problem } from "./problem.ts";
import { mix } from "../hash64.ts";

/**
 * Make a checker that remembers members it has seen and returns a warning
 * for a member already seen (same national id and organization number).
 *
 * @example
 * ```ts
 * const duplicate = createDuplicateCheck();
 * const warning = duplicate(member, "Fødselsnummer"); // undefined the first time
 * ```
 */
export function createDuplicateCheck(): (
  member: Member,
  column: string,
) => Problem | undefined {
  // One index per organization, keyed by the national id alone: no key
  // string to build per row, and each index stays smaller.
  const byOrganization = new Map<string, FirstRowIndex>();
  let lastOrganization: string | undefined;
  let last: FirstRowIndex | undefined;
  return (member, column) => {
    const { organizationNumber } = member;
    let seen = organizationNumber === lastOrganization ? last : undefined;
    if (!seen) {
      seen = byOrganization.get(organizationNumber);
      if (!seen) {
        seen = new FirstRowIndex(16);
        byOrganization.set(organizationNumber, seen);
      }
      lastOrganization = organizationNumber;
      last = seen;
    }
    const first = seen.putIfAbsent(member.nationalId, member.row);
    if (first === undefined) return undefined;
    return {
      row: member.row,
      column,
      value: maskNationalId(member.nationalId),
      reason: `same national id and organization number as ${
        first === FirstRowIndex.FAR_ROW ? "an earlier row" : `row ${first}`
      }`,
      code: "duplicate",
      severity: "warning",
    };
  };
}

/** 2^32, to split an id into two 32-bit halves. */
const HALF = 0x1_0000_0000;
/** The high half of an 11-digit id is below 2^5 (10^11 < 2^37). */
const ID_HIGH_BITS = 5;
const ID_HIGH_MASK = (1 << ID_HIGH_BITS) - 1;
/** Rows below this (2^27 - 2) are kept exactly; later ones as "far". */
const MAX_ROW = (1 << (32 - ID_HIGH_BITS)) - 2;
const ELEVEN_DIGITS = /^\d{11}$/;

/**
 * An open-addressing table from an 11-digit national id to the first row it
 * was seen on. Each slot is two numbers side by side: the id's low 32 bits,
 * and its high 5 bits with row + 1 above them (0: an empty slot), so a
 * lookup touches one place in memory and a member takes 8 bytes a slot.
 */
export class FirstRowIndex {
  /** What {@linkcode putIfAbsent} returns for a first row past {@linkcode MAX_ROW}. */
  static readonly FAR_ROW = -1;

  #slots: Uint32Array;
  #size = 0;

  /** `capacity`: slots to start with, a power of two. @default 1024 */
  constructor(capacity = 1024) {
    if (!Number.isInteger(Math.log2(capacity))) {
      throw new RangeError(`capacity must be a power of two, got ${capacity}`);
    }
    this.#slots = new Uint32Array(capacity * 2);
  }

  get size(): number {
    return this.#size;
  }

  /**
   * The first row stored for `nationalId` (11 digits), or undefined after
   * storing `row`; {@linkcode FirstRowIndex.FAR_ROW} when that first row was
   * too far down the file to keep (past 134 million).
   */
  putIfAbsent(nationalId: string, row: number): number | undefined {
    if (!ELEVEN_DIGITS.test(nationalId)) {
      throw new RangeError("a national id has 11 digits");
    }
    const id = Number(nationalId);
    const high = Math.floor(id / HALF);
    const low = id - high * HALF;
    const slots = this.#slots;
    const mask = slots.length / 2 - 1;
    for (let slot = spread(low, high) & mask;; slot = (slot + 1) & mask) {
      const at = slot * 2;
      const stored = slots[at + 1];
      if (stored === 0) {
        slots[at] = low;
        // A row that is not a line number (never from the readers) is kept
        // as "far", so it can never make an empty slot.
        const kept = row >= 0 && row < MAX_ROW ? Math.floor(row) : MAX_ROW;
        slots[at + 1] = high | (kept + 1) << ID_HIGH_BITS;
        if (++this.#size * 10 > (mask + 1) * 7) this.#grow();
        return undefined;
      }
      if (slots[at] === low && (stored & ID_HIGH_MASK) === high) {
        const first = (stored >>> ID_HIGH_BITS) - 1;
        return first === MAX_ROW ? FirstRowIndex.FAR_ROW : first;
      }
    }
  }

  #grow(): void {
    const old = this.#slots;
    const slots = new Uint32Array(old.length * 2);
    const mask = slots.length / 2 - 1;
    for (let from = 0; from < old.length; from += 2) {
      if (old[from + 1] === 0) continue;
      let slot = spread(old[from], old[from + 1] & ID_HIGH_MASK) & mask;
      while (slots[slot * 2 + 1] !== 0) slot = (slot + 1) & mask;
      slots[slot * 2] = old[from];
      slots[slot * 2 + 1] = old[from + 1];
    }
    this.#slots = slots;
  }
}

/** A well-mixed 32-bit slot number for an id's two halves. */
function spread(low: number, high: number): number {
  return mix(low ^ Math.imul(high, 0x9e3779b1)) >>> 0;
}
