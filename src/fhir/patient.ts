/**
 * A member as a FHIR R4 Patient, in the shape of docs/api-contract.md
 * (step 2): the national id and one contact per organization, nothing else.
 *
 * @module
 */

import type { Patient, PatientContact } from "fhir/r4";
import type { Member } from "../input/member.ts";
import { ORGANIZATION_NUMBER_SYSTEM } from "../identifiers/systems.ts";
import { conditionalUrl } from "./conditional_url.ts";

/**
 * The Patient for one member row. Names, addresses and phone numbers are
 * never sent (DESIGN.md, data protection), and there is no `meta` or `id`:
 * the server finds the Patient by its identifier.
 *
 * @example
 * ```ts
 * memberToPatient(member);
 * // { resourceType: "Patient",
 * //   identifier: [{ system: "urn:oid:2.16.578.1.12.4.1.4.1", value: "23907640450" }],
 * //   contact: [{ organization: { identifier: { system: "urn:oid:2.16.578.1.12.4.1.4.101", value: "948554062" } },
 * //               period: { start: "2026-01-01", end: "2026-12-31" } }] }
 * ```
 */
export function memberToPatient(member: Member): Patient {
  return {
    resourceType: "Patient",
    identifier: [{ system: member.idSystem, value: member.nationalId }],
    contact: [memberContact(member)],
  };
}

/**
 * The Patient contact that records one membership: the organization by its
 * organization number, and the membership period as dates.
 */
export function memberContact(member: Member): PatientContact {
  return {
    organization: {
      identifier: {
        system: ORGANIZATION_NUMBER_SYSTEM,
        value: member.organizationNumber,
      },
    },
    period: { start: member.start, end: member.end },
  };
}

/**
 * The conditional-update URL for a member's Patient,
 * `Patient?identifier={system}|{national id}` with the token percent-encoded
 * (see {@linkcode conditionalUrl}).
 */
export function patientConditionalUrl(
  member: Pick<Member, "idSystem" | "nationalId">,
): string {
  return conditionalUrl("Patient", member.idSystem, member.nationalId);
}
