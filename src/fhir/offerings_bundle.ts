/**
 * The offerings (helsetilbud) as a FHIR R4 `transaction` Bundle
 * (docs/api-contract.md, step 1).
 *
 * @module
 */

import type {
  Bundle,
  BundleEntry,
  HealthcareService,
  Location,
  Organization,
} from "fhir/r4";
import type {
  Offerings,
  OrganizationOffering,
  ServiceOffering,
} from "../input/offering.ts";
import {
  HER_ID_SYSTEM,
  ORGANIZATION_NUMBER_SYSTEM,
  URI_SYSTEM,
} from "../identifiers/systems.ts";
import { conditionalUrl } from "./conditional_url.ts";

/** Options for {@linkcode offeringsBundle}. */
export interface OfferingsBundleOptions {
  /**
   * Makes the UUID of each entry's `fullUrl` (`urn:uuid:{id}`).
   * @default crypto.randomUUID
   */
  newId?: () => string;
}

/** What one entry of the offerings bundle is about. */
export interface OfferingsEntry {
  kind: "Organization" | "Location" | "HealthcareService";
  /** Organization number (Organization, Location) or service GUID. */
  key: string;
}

/** The outcome of {@linkcode offeringsBundle}. */
export interface OfferingsBundle {
  bundle: Bundle;
  /** One per bundle entry, same order. */
  entries: OfferingsEntry[];
}

/**
 * Per organization, in this order: its Organization, its Location, and one
 * HealthcareService per service, each a conditional `PUT` on its business
 * identifier. References between them use the entries' `urn:uuid:`
 * fullUrls, which the server resolves inside the transaction (FHIR R4
 * §3.1.0.11.2), and also carry the organization number as a logical
 * reference.
 *
 * @throws {RangeError} when an organization number or a service GUID occurs
 *   twice: a transaction must not touch the same resource twice.
 *
 * @example
 * ```ts
 * const { bundle, entries } = offeringsBundle(offerings);
 * // entries[0]: { kind: "Organization", key: "948554062" }
 * ```
 */
export function offeringsBundle(
  offerings: Offerings,
  options: OfferingsBundleOptions = {},
): OfferingsBundle {
  const { newId = () => crypto.randomUUID() } = options;

  checkUnique(offerings);

  const entry: BundleEntry[] = [];
  const entries: OfferingsEntry[] = [];
  for (const organization of offerings.organizations) {
    const number = organization.organizationNumber;
    const organizationUrl = `urn:uuid:${newId()}`;
    const locationUrl = `urn:uuid:${newId()}`;

    entry.push({
      fullUrl: organizationUrl,
      resource: toOrganization(organization),
      request: {
        method: "PUT",
        url: conditionalUrl(
          "Organization",
          ORGANIZATION_NUMBER_SYSTEM,
          number,
        ),
      },
    });
    entries.push({ kind: "Organization", key: number });

    entry.push({
      fullUrl: locationUrl,
      resource: toLocation(organization, organizationUrl),
      request: {
        method: "PUT",
        url: conditionalUrl("Location", ORGANIZATION_NUMBER_SYSTEM, number),
      },
    });
    entries.push({ kind: "Location", key: number });

    for (const service of organization.services) {
      entry.push({
        fullUrl: `urn:uuid:${newId()}`,
        resource: toHealthcareService(
          service,
          organization,
          organizationUrl,
          locationUrl,
        ),
        request: {
          method: "PUT",
          url: conditionalUrl(
            "HealthcareService",
            URI_SYSTEM,
            serviceIdentifierValue(service),
          ),
        },
      });
      entries.push({ kind: "HealthcareService", key: service.id });
    }
  }

  return {
    bundle: { resourceType: "Bundle", type: "transaction", entry },
    entries,
  };
}

/** The service's business identifier value, `urn:uuid:{guid}`. */
export function serviceIdentifierValue(service: ServiceOffering): string {
  return `urn:uuid:${service.id.toLowerCase()}`;
}

function organizationIdentifier(organization: OrganizationOffering) {
  return {
    system: ORGANIZATION_NUMBER_SYSTEM,
    value: organization.organizationNumber,
  };
}

function toOrganization(organization: OrganizationOffering): Organization {
  return {
    resourceType: "Organization",
    identifier: [organizationIdentifier(organization)],
    active: true,
    name: organization.name,
    endpoint: [{
      identifier: { system: HER_ID_SYSTEM, value: organization.businessId },
    }],
  };
}

function toLocation(
  organization: OrganizationOffering,
  organizationUrl: string,
): Location {
  const { address, telecom } = organization.location;
  const location: Location = {
    resourceType: "Location",
    identifier: [organizationIdentifier(organization)],
    address: {
      line: [...address.line],
      city: address.city,
      postalCode: address.postalCode,
      country: "NO",
    },
    managingOrganization: {
      reference: organizationUrl,
      identifier: organizationIdentifier(organization),
    },
  };
  if (telecom.length > 0) {
    location.telecom = telecom.map(({ system, value }) => ({ system, value }));
  }
  return location;
}

function toHealthcareService(
  service: ServiceOffering,
  organization: OrganizationOffering,
  organizationUrl: string,
  locationUrl: string,
): HealthcareService {
  const healthcareService: HealthcareService = {
    resourceType: "HealthcareService",
    identifier: [{
      system: URI_SYSTEM,
      value: serviceIdentifierValue(service),
    }],
    active: service.active,
    providedBy: {
      reference: organizationUrl,
      identifier: organizationIdentifier(organization),
    },
    location: [{ reference: locationUrl }],
    name: service.name,
    endpoint: [{
      identifier: {
        system: HER_ID_SYSTEM,
        value: service.communicationPartyId,
      },
    }],
  };
  if (service.comment !== undefined && service.comment !== "") {
    healthcareService.comment = service.comment;
  }
  return healthcareService;
}

function checkUnique(offerings: Offerings): void {
  const numbers = new Set<string>();
  const serviceIds = new Set<string>();
  for (const organization of offerings.organizations) {
    const number = organization.organizationNumber;
    if (numbers.has(number)) {
      throw new RangeError(
        `Cannot build the offerings bundle: organization number ${number} occurs twice`,
      );
    }
    numbers.add(number);
    for (const service of organization.services) {
      const id = service.id.toLowerCase();
      if (serviceIds.has(id)) {
        throw new RangeError(
          `Cannot build the offerings bundle: service id ${service.id} occurs twice (organization ${number})`,
        );
      }
      serviceIds.add(id);
    }
  }
}
