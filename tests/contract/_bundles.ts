// Request bundles for the contract tests, written out by hand from
// fixtures/helsetilbud.json and fixtures/medlemmer-eksport.csv, so these
// tests check the mock against the contract and not against src/fhir.

import type {
  Bundle as FhirBundle,
  BundleEntry as FhirBundleEntry,
  FhirResource,
  PatientContact,
} from "fhir/r4";

/** A Bundle whose entries hold any R4 resource. */
export type Bundle = FhirBundle<FhirResource>;
export type BundleEntry = FhirBundleEntry<FhirResource>;

export const FNR = "urn:oid:2.16.578.1.12.4.1.4.1";
export const DNR = "urn:oid:2.16.578.1.12.4.1.4.2";
export const ORGNR = "urn:oid:2.16.578.1.12.4.1.4.101";
export const HER = "urn:oid:2.16.578.1.12.4.1.2";
export const URI = "urn:ietf:rfc:3986";
export const BASE = "/helsekontakter/api/v1";

/** Synthetic ids from the member export. */
export const KARI = "23907640450"; // fødselsnummer, synthetic
export const OLA = "17814734625"; // fødselsnummer, synthetic
export const INGRID = "21838440581"; // fødselsnummer, synthetic
export const PER = "55904713375"; // D-nummer, synthetic
export const BAD_CHECK_DIGIT = "01927043715";

export const ORG_A = "948554062"; // Eksempel Bedriftshelse AS
export const ORG_B = "974760673"; // Fiktiv Studentsamskipnad

export const SERVICE_A1 = "6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b4c10";
export const SERVICE_A2 = "b2e4d6f8-1a3c-4e5f-8b9d-7c6a5e4d3c21";
export const SERVICE_B1 = "0c9b8a7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d";

/** A conditional URL, percent-encoded as the contract puts it on the wire. */
export function conditional(type: string, system: string, value: string) {
  return `${type}?identifier=${encodeURIComponent(`${system}|${value}`)}`;
}

const ORG_A_URL = "urn:uuid:0a6f3c52-8d1e-4b7a-9c20-5e4f3a2b1c01";
const LOC_A_URL = "urn:uuid:0a6f3c52-8d1e-4b7a-9c20-5e4f3a2b1c02";
const SRV_A1_URL = "urn:uuid:0a6f3c52-8d1e-4b7a-9c20-5e4f3a2b1c03";
const SRV_A2_URL = "urn:uuid:0a6f3c52-8d1e-4b7a-9c20-5e4f3a2b1c04";
const ORG_B_URL = "urn:uuid:0a6f3c52-8d1e-4b7a-9c20-5e4f3a2b1c05";
const LOC_B_URL = "urn:uuid:0a6f3c52-8d1e-4b7a-9c20-5e4f3a2b1c06";
const SRV_B1_URL = "urn:uuid:0a6f3c52-8d1e-4b7a-9c20-5e4f3a2b1c07";

const orgId = (value: string) => ({ system: ORGNR, value });

/**
 * Both organizations of fixtures/helsetilbud.json as one transaction:
 * entries 0-3 are organization A (Organization, Location, two services),
 * entries 4-6 organization B.
 */
export function offeringsTransaction(): Bundle {
  const entry: BundleEntry[] = [
    {
      fullUrl: ORG_A_URL,
      resource: {
        resourceType: "Organization",
        identifier: [orgId(ORG_A)],
        active: true,
        name: "Eksempel Bedriftshelse AS",
        endpoint: [{ identifier: { system: HER, value: "112233" } }],
      },
      request: {
        method: "PUT",
        url: conditional("Organization", ORGNR, ORG_A),
      },
    },
    {
      fullUrl: LOC_A_URL,
      resource: {
        resourceType: "Location",
        identifier: [orgId(ORG_A)],
        address: { line: ["Storgata 1"], city: "Oslo", postalCode: "0155" },
        telecom: [{ system: "phone", value: "+47 22 00 00 00" }],
        managingOrganization: {
          reference: ORG_A_URL,
          identifier: orgId(ORG_A),
        },
      },
      request: { method: "PUT", url: conditional("Location", ORGNR, ORG_A) },
    },
    {
      fullUrl: SRV_A1_URL,
      resource: {
        resourceType: "HealthcareService",
        identifier: [{ system: URI, value: `urn:uuid:${SERVICE_A1}` }],
        active: true,
        providedBy: { reference: ORG_A_URL, identifier: orgId(ORG_A) },
        location: [{ reference: LOC_A_URL }],
        name: "Bedriftshelsetjeneste",
        comment: "Timebestilling og dialog med bedriftshelsetjenesten",
        endpoint: [{ identifier: { system: HER, value: "8093240" } }],
      },
      request: {
        method: "PUT",
        url: conditional("HealthcareService", URI, `urn:uuid:${SERVICE_A1}`),
      },
    },
    {
      fullUrl: SRV_A2_URL,
      resource: {
        resourceType: "HealthcareService",
        identifier: [{ system: URI, value: `urn:uuid:${SERVICE_A2}` }],
        active: true,
        providedBy: { reference: ORG_A_URL, identifier: orgId(ORG_A) },
        location: [{ reference: LOC_A_URL }],
        name: "Psykolog for ansatte",
        endpoint: [{ identifier: { system: HER, value: "8093241" } }],
      },
      request: {
        method: "PUT",
        url: conditional("HealthcareService", URI, `urn:uuid:${SERVICE_A2}`),
      },
    },
    {
      fullUrl: ORG_B_URL,
      resource: {
        resourceType: "Organization",
        identifier: [orgId(ORG_B)],
        active: true,
        name: "Fiktiv Studentsamskipnad",
        endpoint: [{ identifier: { system: HER, value: "445566" } }],
      },
      request: {
        method: "PUT",
        url: conditional("Organization", ORGNR, ORG_B),
      },
    },
    {
      fullUrl: LOC_B_URL,
      resource: {
        resourceType: "Location",
        identifier: [orgId(ORG_B)],
        address: {
          line: ["Universitetsveien 12", "Bygg B"],
          city: "Tromsø",
          postalCode: "9019",
        },
        managingOrganization: {
          reference: ORG_B_URL,
          identifier: orgId(ORG_B),
        },
      },
      request: { method: "PUT", url: conditional("Location", ORGNR, ORG_B) },
    },
    {
      fullUrl: SRV_B1_URL,
      resource: {
        resourceType: "HealthcareService",
        identifier: [{ system: URI, value: `urn:uuid:${SERVICE_B1}` }],
        providedBy: { reference: ORG_B_URL, identifier: orgId(ORG_B) },
        location: [{ reference: LOC_B_URL }],
        name: "Studenthelsetjeneste",
        comment: "Allmennlege og helsesykepleier for studenter",
        endpoint: [{ identifier: { system: HER, value: "8093250" } }],
      },
      request: {
        method: "PUT",
        url: conditional("HealthcareService", URI, `urn:uuid:${SERVICE_B1}`),
      },
    },
  ];
  return { resourceType: "Bundle", type: "transaction", entry };
}

/** A membership contact for one organization. */
export function contact(
  organizationNumber: string,
  start = "2026-01-01",
  end = "2026-12-31",
): PatientContact {
  return {
    organization: { identifier: { system: ORGNR, value: organizationNumber } },
    period: { start, end },
  };
}

/** One member entry: a conditional PUT of a Patient with only id and contacts. */
export function memberEntry(
  nationalId: string,
  system: string,
  contacts: PatientContact[] = [contact(ORG_A)],
): BundleEntry {
  return {
    resource: {
      resourceType: "Patient",
      identifier: [{ system, value: nationalId }],
      contact: contacts,
    },
    request: { method: "PUT", url: conditional("Patient", system, nationalId) },
  };
}

export function membersBatch(entry: BundleEntry[]): Bundle {
  return { resourceType: "Bundle", type: "batch", entry };
}

/** Anything with Hono's `request`, i.e. the mock app. */
export interface RequestTarget {
  request(input: string, init?: RequestInit): Response | Promise<Response>;
}

/** POST a Bundle (or raw text) to the API of an in-process app. */
export async function post(
  app: RequestTarget,
  body: unknown,
  contentType = "application/fhir+json",
  // deno-lint-ignore no-explicit-any
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await app.request(BASE, {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: await response.json(),
  };
}

/** GET a mock route's JSON. */
export async function getJson(
  app: RequestTarget,
  path: string,
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  const response = await app.request(path);
  return await response.json();
}

/** The `expression` of every issue in an OperationOutcome, in order. */
// deno-lint-ignore no-explicit-any
export function expressions(outcome: any): string[] {
  // deno-lint-ignore no-explicit-any
  return outcome.issue.map((issue: any) => issue.expression?.[0]);
}
