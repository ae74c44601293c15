/**
 * Small realistic inputs for the tests of this folder and tests/fhir: members
 * with ids from fixtures/medlemmer-eksport.csv, and fixtures/helsetilbud.json
 * converted to `Offerings` by hand (the offerings reader lives elsewhere).
 * Test-only; nothing in src imports it.
 *
 * @module
 */

import type { Member } from "../input/member.ts";
import type { Offerings, ServiceOffering } from "../input/offering.ts";
import {
  D_NUMMER_SYSTEM,
  FODSELSNUMMER_SYSTEM,
} from "../identifiers/systems.ts";

/** A member with a (synthetic) fødselsnummer. */
export function fnrMember(overrides: Partial<Member> = {}): Member {
  return {
    row: 2,
    nationalId: "23907640450",
    idKind: "fnr",
    idSystem: FODSELSNUMMER_SYSTEM,
    organizationNumber: "948554062",
    start: "2026-01-01",
    end: "2026-12-31",
    ...overrides,
  };
}

/** A member with a (synthetic) D-nummer. */
export function dnrMember(overrides: Partial<Member> = {}): Member {
  return {
    row: 3,
    nationalId: "55904713375",
    idKind: "dnr",
    idSystem: D_NUMMER_SYSTEM,
    organizationNumber: "974760673",
    start: "2026-02-01",
    end: "2026-12-31",
    ...overrides,
  };
}

/** fixtures/helsetilbud.json, normalized the way the offerings reader does. */
export async function sampleOfferings(): Promise<Offerings> {
  const url = new URL("../../fixtures/helsetilbud.json", import.meta.url);
  // deno-lint-ignore no-explicit-any
  const raw: any = JSON.parse(await Deno.readTextFile(url));
  return {
    // deno-lint-ignore no-explicit-any
    organizations: raw.organizations.map((organization: any) => ({
      organizationNumber: organization.organizationNumber.replace(/\s/g, ""),
      name: organization.name,
      businessId: organization.businessId,
      location: {
        address: { ...organization.location.address },
        telecom: [...organization.location.telecom],
      },
      // deno-lint-ignore no-explicit-any
      services: organization.services.map((service: any): ServiceOffering => {
        const mapped: ServiceOffering = {
          id: service.id,
          name: service.name,
          active: service.active ?? true,
          communicationPartyId: service.communicationPartyId,
        };
        if (service.comment !== undefined) mapped.comment = service.comment;
        return mapped;
      }),
    })),
  };
}

/** A predictable `newId`: 00000000-0000-4000-8000-000000000001, ...002, ... */
export function sequentialIds(): () => string {
  let next = 0;
  return () => {
    next += 1;
    return `00000000-0000-4000-8000-${String(next).padStart(12, "0")}`;
  };
}
