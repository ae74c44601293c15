import assert from "node:assert/strict";
import type { HealthcareService, Location, Organization } from "fhir/r4";
import { offeringsBundle } from "./offerings_bundle.ts";
import { sampleOfferings, sequentialIds } from "./_samples.ts";

const ORG_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.101";
const HER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.2";

function id(n: number): string {
  return `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
}

Deno.test("offeringsBundle() orders Organization, Location, services per organization", async () => {
  const { bundle, entries } = offeringsBundle(await sampleOfferings(), {
    newId: sequentialIds(),
  });

  assert.equal(bundle.type, "transaction");
  assert.deepEqual(entries, [
    { kind: "Organization", key: "948554062" },
    { kind: "Location", key: "948554062" },
    {
      kind: "HealthcareService",
      key: "6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b4c10",
    },
    {
      kind: "HealthcareService",
      key: "b2e4d6f8-1a3c-4e5f-8b9d-7c6a5e4d3c21",
    },
    { kind: "Organization", key: "974760673" },
    { kind: "Location", key: "974760673" },
    {
      kind: "HealthcareService",
      key: "0c9b8a7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d",
    },
  ]);
  assert.deepEqual(
    bundle.entry?.map((entry) => entry.resource?.resourceType),
    entries.map((entry) => entry.kind),
  );
  assert.deepEqual(bundle.entry?.map((entry) => entry.request), [
    {
      method: "PUT",
      url:
        "Organization?identifier=urn%3Aoid%3A2.16.578.1.12.4.1.4.101%7C948554062",
    },
    {
      method: "PUT",
      url:
        "Location?identifier=urn%3Aoid%3A2.16.578.1.12.4.1.4.101%7C948554062",
    },
    {
      method: "PUT",
      url:
        "HealthcareService?identifier=urn%3Aietf%3Arfc%3A3986%7Curn%3Auuid%3A6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b4c10",
    },
    {
      method: "PUT",
      url:
        "HealthcareService?identifier=urn%3Aietf%3Arfc%3A3986%7Curn%3Auuid%3Ab2e4d6f8-1a3c-4e5f-8b9d-7c6a5e4d3c21",
    },
    {
      method: "PUT",
      url:
        "Organization?identifier=urn%3Aoid%3A2.16.578.1.12.4.1.4.101%7C974760673",
    },
    {
      method: "PUT",
      url:
        "Location?identifier=urn%3Aoid%3A2.16.578.1.12.4.1.4.101%7C974760673",
    },
    {
      method: "PUT",
      url:
        "HealthcareService?identifier=urn%3Aietf%3Arfc%3A3986%7Curn%3Auuid%3A0c9b8a7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d",
    },
  ]);
  assert.deepEqual(
    bundle.entry?.map((entry) => entry.fullUrl),
    [1, 2, 3, 4, 5, 6, 7].map(id),
  );
});

Deno.test("offeringsBundle() maps an organization with its business id as endpoint", async () => {
  const { bundle } = offeringsBundle(await sampleOfferings(), {
    newId: sequentialIds(),
  });
  assert.deepEqual(bundle.entry?.[0].resource as Organization, {
    resourceType: "Organization",
    identifier: [{ system: ORG_SYSTEM, value: "948554062" }],
    active: true,
    name: "Eksempel Bedriftshelse AS",
    endpoint: [{ identifier: { system: HER_SYSTEM, value: "112233" } }],
  });
});

Deno.test("offeringsBundle() maps the location with address, telecom and managing organization", async () => {
  const { bundle } = offeringsBundle(await sampleOfferings(), {
    newId: sequentialIds(),
  });
  assert.deepEqual(bundle.entry?.[5].resource as Location, {
    resourceType: "Location",
    identifier: [{ system: ORG_SYSTEM, value: "974760673" }],
    address: {
      line: ["Universitetsveien 12", "Bygg B"],
      city: "Tromsø",
      postalCode: "9019",
      country: "NO",
    },
    telecom: [{ system: "url", value: "https://example.org/helse" }],
    managingOrganization: {
      reference: id(5),
      identifier: { system: ORG_SYSTEM, value: "974760673" },
    },
  });
});

Deno.test("offeringsBundle() maps services with their GUID, HER-id and references", async () => {
  const { bundle } = offeringsBundle(await sampleOfferings(), {
    newId: sequentialIds(),
  });
  assert.deepEqual(bundle.entry?.[2].resource as HealthcareService, {
    resourceType: "HealthcareService",
    identifier: [{
      system: "urn:ietf:rfc:3986",
      value: "urn:uuid:6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b4c10",
    }],
    active: true,
    providedBy: {
      reference: id(1),
      identifier: { system: ORG_SYSTEM, value: "948554062" },
    },
    location: [{ reference: id(2) }],
    name: "Bedriftshelsetjeneste",
    comment: "Timebestilling og dialog med bedriftshelsetjenesten",
    endpoint: [{ identifier: { system: HER_SYSTEM, value: "8093240" } }],
  });

  const withoutComment = bundle.entry?.[3].resource as HealthcareService;
  assert.equal(withoutComment.comment, undefined);
  assert.equal(withoutComment.name, "Psykolog for ansatte");
});

Deno.test("offeringsBundle() refuses an organization number given twice", async () => {
  const offerings = await sampleOfferings();
  offerings.organizations[1].organizationNumber = "948554062";
  assert.throws(
    () => offeringsBundle(offerings),
    (error: unknown) =>
      error instanceof RangeError && error.message.includes("948554062"),
  );
});

Deno.test("offeringsBundle() refuses a service GUID given twice", async () => {
  const offerings = await sampleOfferings();
  offerings.organizations[1].services[0].id = offerings.organizations[0]
    .services[0].id.toUpperCase();
  assert.throws(() => offeringsBundle(offerings), RangeError);
});

Deno.test("offeringsBundle() does not change the offerings it is given", async () => {
  const offerings = await sampleOfferings();
  const copy = structuredClone(offerings);
  const { bundle } = offeringsBundle(offerings);
  (bundle.entry?.[1].resource as Location).address!.line!.push("changed");
  assert.deepEqual(offerings, copy);
});
