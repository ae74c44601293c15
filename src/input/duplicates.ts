/**
 * Duplicate members: the same national id for the same organization on two
 * rows of one export. Both rows would become the same conditional update, so
 * the later one would silently win; the later row is reported as a
 * "duplicate" warning naming the first.
 *
 * Kept apart from validateMember, which looks at one row at a time. Memory:
 * one short key per member (a few MB for 100 000 members).
 *
 * @module
 */

import { maskNationalId } from "../identifiers/mask.ts";
import type { Member } from "./member.ts";
import type { Problem } from "./problem.ts";

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
  const seen = new Map<string, number>();
  return (member, column) => {
    const key = `${member.nationalId}|${member.organizationNumber}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, member.row);
      return undefined;
    }
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
