/**
 * Duplicate members: the same national id for the same organization on two
 * rows of one export. Both rows would become the same conditional update, so
 * the later one would silently win; the later row is reported as a
 * "duplicate" warning naming the first.
 *
 * Kept apart from validateMember, which looks at one row at a time.
 *
 * Memory stays small at a million members: keys are not kept, only a 64-bit
 * hash of each national id and the first row (12 bytes a member, in typed
 * arrays), in one table per organization. Two different members of an
 * organization share a hash with a chance of about n²/2⁶⁵ (3 in 100 million
 * for a million members); such a member would be reported as a duplicate,
 * with both rows named, rather than lost silently.
 *
 * @module
 */

import { maskNationalId } from "../identifiers/mask.ts";
import type { Member } from "./member.ts";
import type { Problem } from "./problem.ts";
import { hash64 } from "../hash64.ts";

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
      reason: `same national id and organization number as row ${first}`,
      code: "duplicate",
      severity: "warning",
    };
  };
}

/**
 * An open-addressing table from a key's 64-bit hash to the first row seen.
 * Each slot is three numbers side by side (hash high, hash low, row + 1),
 * so a lookup touches one place in memory, not three.
 */
export class FirstRowIndex {
  /** Row + 1 in the third number of a slot; 0 marks an empty slot. */
  #slots: Uint32Array;
  #size = 0;

  /** `capacity`: slots to start with, a power of two. @default 1024 */
  constructor(capacity = 1024) {
    if (!Number.isInteger(Math.log2(capacity))) {
      throw new RangeError(`capacity must be a power of two, got ${capacity}`);
    }
    this.#slots = new Uint32Array(capacity * 3);
  }

  get size(): number {
    return this.#size;
  }

  /** The first row stored for `key`, or undefined after storing `row`. */
  putIfAbsent(key: string, row: number): number | undefined {
    const [high, low] = hash64(key);
    const slots = this.#slots;
    const mask = slots.length / 3 - 1;
    for (let slot = low & mask;; slot = (slot + 1) & mask) {
      const at = slot * 3;
      const stored = slots[at + 2];
      if (stored === 0) {
        slots[at] = high;
        slots[at + 1] = low;
        slots[at + 2] = row + 1;
        if (++this.#size * 2 > mask + 1) this.#grow();
        return undefined;
      }
      if (slots[at] === high && slots[at + 1] === low) return stored - 1;
    }
  }

  #grow(): void {
    const old = this.#slots;
    const slots = new Uint32Array(old.length * 2);
    const mask = slots.length / 3 - 1;
    for (let from = 0; from < old.length; from += 3) {
      if (old[from + 2] === 0) continue;
      let slot = old[from + 1] & mask;
      while (slots[slot * 3 + 2] !== 0) slot = (slot + 1) & mask;
      const at = slot * 3;
      slots[at] = old[from];
      slots[at + 1] = old[from + 1];
      slots[at + 2] = old[from + 2];
    }
    this.#slots = slots;
  }
}
