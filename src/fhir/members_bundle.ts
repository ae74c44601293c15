/**
 * The member list as a FHIR R4 `batch` Bundle (docs/api-contract.md, step 2).
 *
 * @module
 */

import type { Bundle, BundleEntry, Patient } from "fhir/r4";
import { hash64 } from "../hash64.ts";
import type { Member } from "../input/member.ts";
import {
  memberContact,
  memberToPatient,
  patientConditionalUrl,
} from "./patient.ts";
import { type EntryOutcome, readEntryOutcome } from "./outcome.ts";

/** Options for {@linkcode membersBundle}. */
export interface MembersBundleOptions {
  /**
   * Makes the UUID of each entry's `fullUrl` (`urn:uuid:{id}`).
   * @default crypto.randomUUID
   */
  newId?: () => string;
}

/** The outcome of {@linkcode membersBundle}. */
export interface MembersBundle {
  bundle: Bundle;
  /**
   * The member rows each entry carries, by entry index: one row, or several
   * when one person is a member of several organizations.
   */
  entryMembers: Member[][];
}

/**
 * One conditional `PUT Patient?identifier=...` per person, in a `batch`.
 *
 * Rows with the same national id become one entry whose Patient has one
 * contact per row: a batch must not touch the same resource twice (FHIR R4
 * §3.1.0.11.1), and the contract stores such a person as one Patient with
 * one contact per organization. Rows that are exact repeats (same
 * organization and period) add no second contact. Entries keep the order in
 * which each person first appears.
 *
 * @example
 * ```ts
 * const { bundle, entryMembers } = membersBundle(members);
 * // bundle.entry[i].response answers for every row in entryMembers[i]
 * ```
 */
export function membersBundle(
  members: readonly Member[],
  options: MembersBundleOptions = {},
): MembersBundle {
  const { newId = () => crypto.randomUUID() } = options;

  const people: Person[] = [];
  const find = personFinder(people, members.length);
  for (const member of members) {
    const person = find(member);
    if (!person) {
      people.push({ patient: memberToPatient(member), rows: [member] });
      continue;
    }

    person.rows.push(member);
    const repeat = person.rows.some((row) =>
      row !== member &&
      row.organizationNumber === member.organizationNumber &&
      row.start === member.start && row.end === member.end
    );
    if (!repeat) person.patient.contact!.push(memberContact(member));
  }

  const entry: BundleEntry[] = [];
  const entryMembers: Member[][] = [];
  for (const { patient, rows } of people) {
    entry.push({
      // Joined, not a template: one flat string, quicker to serialize (see
      // conditionalUrl).
      fullUrl: ["urn:uuid:", newId()].join(""),
      resource: patient,
      request: { method: "PUT", url: patientConditionalUrl(rows[0]) },
    });
    entryMembers.push(rows);
  }

  return {
    bundle: { resourceType: "Bundle", type: "batch", entry },
    entryMembers,
  };
}

/** One person of a batch: their Patient and the rows it carries. */
interface Person {
  patient: Patient;
  rows: Member[];
}

/**
 * Finds the person a member's row belongs to among `people` (the same
 * identifier system and national id), or undefined for a new one, which the
 * caller then adds to the end of `people`; for at most `size` rows.
 *
 * An open-addressing table over the id's 64-bit hash: V8's `Map` hashes a
 * string of digits such as a national id several times slower than this.
 */
function personFinder(
  people: readonly Person[],
  size: number,
): (member: Member) => Person | undefined {
  let capacity = 16;
  while (capacity < size * 2) capacity *= 2;
  const mask = capacity - 1;
  /** Index in `people` + 1; 0 marks an empty slot. */
  const slots = new Uint32Array(capacity);
  return (member) => {
    const [, low] = hash64(member.nationalId);
    for (let slot = low & mask;; slot = (slot + 1) & mask) {
      const at = slots[slot];
      if (at === 0) {
        // The caller adds the new person next.
        slots[slot] = people.length + 1;
        return undefined;
      }
      const first = people[at - 1].rows[0];
      if (
        first.nationalId === member.nationalId &&
        first.idSystem === member.idSystem
      ) {
        return people[at - 1];
      }
    }
  };
}

/**
 * Pair each member a batch carried with its entry's outcome in the
 * batch-response (entries answer in request order; a merged entry answers for
 * every row it carries).
 */
export function memberOutcomes(
  entryMembers: readonly Member[][],
  response: Bundle,
): [Member, EntryOutcome][] {
  const entries = response.entry ?? [];
  return entryMembers.flatMap((carried, index) => {
    const outcome = readEntryOutcome(entries[index]);
    return carried.map((member): [Member, EntryOutcome] => [member, outcome]);
  });
}
