/**
 * Duplicate members: the same national id for the same organization on two
 * rows of one export. Both rows would become the same conditional update, so
 * the later one would silently win; the later row is reported as a
 * "duplicate" warning naming the first.
 *
 * Kept apart from validateMember, which looks at one row at a time.
 *
 * Memory stays small at a million members: keys are not kept, only a 64-bit
 * hash of each and the first row (12 bytes a member, in typed arrays). Two
 * different members share a hash with a chance of about n²/2⁶⁵ (3 in 100
 * million for a million members); such a member would be reported as a
 * duplicate, with both rows named, rather than lost silently.
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
  const seen = new FirstRowIndex();
  return (member, column) => {
    const first = seen.putIfAbsent(
      `${member.nationalId}|${member.organizationNumber}`,
      member.row,
    );
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

/** An open-addressing table from a key's 64-bit hash to the first row seen. */
export class FirstRowIndex {
  #high = new Uint32Array(1024);
  #low = new Uint32Array(1024);
  /** Row + 1; 0 marks an empty slot. */
  #rows = new Uint32Array(1024);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** The first row stored for `key`, or undefined after storing `row`. */
  putIfAbsent(key: string, row: number): number | undefined {
    const [high, low] = hash64(key);
    const mask = this.#rows.length - 1;
    for (let slot = low & mask;; slot = (slot + 1) & mask) {
      const stored = this.#rows[slot];
      if (stored === 0) {
        this.#high[slot] = high;
        this.#low[slot] = low;
        this.#rows[slot] = row + 1;
        if (++this.#size * 2 > this.#rows.length) this.#grow();
        return undefined;
      }
      if (this.#high[slot] === high && this.#low[slot] === low) {
        return stored - 1;
      }
    }
  }

  #grow(): void {
    const [high, low, rows] = [this.#high, this.#low, this.#rows];
    const capacity = rows.length * 2;
    this.#high = new Uint32Array(capacity);
    this.#low = new Uint32Array(capacity);
    this.#rows = new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let i = 0; i < rows.length; i++) {
      if (rows[i] === 0) continue;
      let slot = low[i] & mask;
      while (this.#rows[slot] !== 0) slot = (slot + 1) & mask;
      this.#high[slot] = high[i];
      this.#low[slot] = low[i];
      this.#rows[slot] = rows[i];
    }
  }
}
