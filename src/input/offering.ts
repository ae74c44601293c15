/**
 * The offerings (helsetilbud) file, after validation: organizations, each with
 * its location and the health services it offers. Schema in docs/input-formats.md.
 *
 * @module
 */

export interface ServiceOffering {
  /** Local GUID of the service (no `urn:uuid:` prefix). */
  id: string;
  name: string;
  comment?: string;
  /** @default true */
  active: boolean;
  /** HER-id of the communication party that receives messages for the service. */
  communicationPartyId: string;
}

export interface OrganizationOffering {
  /** Nine digits, no spaces. */
  organizationNumber: string;
  name: string;
  /** The organization's business id, sent as its endpoint. */
  businessId: string;
  location: {
    address: { line: string[]; city: string; postalCode: string };
    telecom: { system: "phone" | "url" | "email"; value: string }[];
  };
  services: ServiceOffering[];
}

export interface Offerings {
  organizations: OrganizationOffering[];
}
