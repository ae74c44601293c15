// Step 1 of docs/api-contract.md: the offerings transaction.

import assert from "node:assert/strict";
import type { HealthcareService, Location } from "fhir/r4";
import { createMockApp } from "../../mock-helsenorge/app.ts";
import {
  type Bundle,
  conditional,
  expressions,
  getJson,
  offeringsTransaction,
  ORG_A,
  ORGNR,
  post,
  SERVICE_A1,
  URI,
} from "./_bundles.ts";

function mock() {
  return createMockApp({ notConsentedFraction: 0, log: () => {} });
}

// deno-lint-ignore no-explicit-any
type Json = any;

Deno.test("offerings: a valid transaction is stored and answered 201 per entry", async () => {
  const { app } = mock();
  const { status, body, headers } = await post(app, offeringsTransaction());

  assert.equal(status, 200);
  assert.match(headers.get("content-type") ?? "", /^application\/fhir\+json/);
  assert.equal(body.resourceType, "Bundle");
  assert.equal(body.type, "transaction-response");
  assert.equal(body.entry.length, 7);
  const types = [
    "Organization",
    "Location",
    "HealthcareService",
    "HealthcareService",
  ];
  body.entry.slice(0, 4).forEach((entry: Json, i: number) => {
    assert.equal(entry.response.status, "201 Created");
    assert.match(
      entry.response.location,
      new RegExp(`^${types[i]}/[^/]+/_history/1$`),
    );
  });

  const received = await getJson(app, "/_mock/received");
  assert.equal(received.organizations.length, 2);
  assert.equal(received.locations.length, 2);
  assert.equal(received.healthcareServices.length, 3);
  assert.deepEqual(received.patients, []);
});

Deno.test("offerings: urn:uuid references are rewritten to the stored Type/id", async () => {
  const { app } = mock();
  const { body } = await post(app, offeringsTransaction());
  const [orgLocation, locLocation] = body.entry.map((e: Json) =>
    e.response.location.split("/_history")[0]
  );

  const received = await getJson(app, "/_mock/received");
  const service = received.healthcareServices.find((s: HealthcareService) =>
    s.identifier?.[0].value === `urn:uuid:${SERVICE_A1}`
  );
  assert.equal(service.providedBy.reference, orgLocation);
  assert.deepEqual(service.providedBy.identifier, {
    system: ORGNR,
    value: ORG_A,
  });
  assert.equal(service.location[0].reference, locLocation);
  const location = received.locations.find((l: Location) =>
    l.identifier?.[0].value === ORG_A
  );
  assert.equal(location.managingOrganization.reference, orgLocation);
  assert.equal(service.meta.versionId, "1");
  assert.equal(
    `HealthcareService/${service.id}`,
    body.entry[2].response.location.split("/_history")[0],
  );
});

Deno.test("offerings: a resend updates in place, never duplicates, and bumps versionId", async () => {
  const { app } = mock();
  const first = await post(app, offeringsTransaction());
  const renamed = offeringsTransaction();
  (renamed.entry![2].resource as HealthcareService).name = "Bedriftshelse";
  const second = await post(app, renamed);

  assert.equal(second.status, 200);
  second.body.entry.forEach((entry: Json, i: number) => {
    assert.equal(entry.response.status, "200 OK");
    const [path] = first.body.entry[i].response.location.split("/_history");
    assert.equal(entry.response.location, `${path}/_history/2`);
  });
  const received = await getJson(app, "/_mock/received");
  assert.equal(received.organizations.length, 2);
  assert.equal(received.healthcareServices.length, 3);
  const names = received.healthcareServices.map((s: HealthcareService) =>
    s.name
  );
  assert.ok(names.includes("Bedriftshelse"));
  assert.ok(!names.includes("Bedriftshelsetjeneste"));
  assert.ok(
    received.organizations.every((o: Json) => o.meta.versionId === "2"),
  );
});

Deno.test("offerings: a readable (not percent-encoded) conditional URL is accepted", async () => {
  const { app } = mock();
  const bundle = offeringsTransaction();
  bundle.entry![0].request!.url = `Organization?identifier=${ORGNR}|${ORG_A}`;
  const { status } = await post(app, bundle);
  assert.equal(status, 200);
});

/** One broken field per case: where it is, what breaks it, and the answer. */
const missingCases: {
  name: string;
  entry: number;
  breakIt: (resource: Json) => void;
  expression: string;
  code: string;
}[] = [
  {
    name: "Organization.identifier",
    entry: 0,
    breakIt: (r) => delete r.identifier,
    expression: "Bundle.entry[0].resource.identifier",
    code: "required",
  },
  {
    name: "Organization.name",
    entry: 0,
    breakIt: (r) => delete r.name,
    expression: "Bundle.entry[0].resource.name",
    code: "required",
  },
  {
    name: "Organization.endpoint",
    entry: 0,
    breakIt: (r) => delete r.endpoint,
    expression: "Bundle.entry[0].resource.endpoint",
    code: "required",
  },
  {
    name: "Organization.endpoint identifier value",
    entry: 0,
    breakIt: (r) => delete r.endpoint[0].identifier.value,
    expression: "Bundle.entry[0].resource.endpoint[0].identifier.value",
    code: "required",
  },
  {
    name: "Location.address",
    entry: 1,
    breakIt: (r) => delete r.address,
    expression: "Bundle.entry[1].resource.address",
    code: "required",
  },
  {
    name: "Location.address.line",
    entry: 1,
    breakIt: (r) => (r.address.line = []),
    expression: "Bundle.entry[1].resource.address.line",
    code: "required",
  },
  {
    name: "Location.address.city",
    entry: 1,
    breakIt: (r) => delete r.address.city,
    expression: "Bundle.entry[1].resource.address.city",
    code: "required",
  },
  {
    name: "Location.address.postalCode",
    entry: 1,
    breakIt: (r) => delete r.address.postalCode,
    expression: "Bundle.entry[1].resource.address.postalCode",
    code: "required",
  },
  {
    name: "Location.identifier",
    entry: 1,
    breakIt: (r) => delete r.identifier,
    expression: "Bundle.entry[1].resource.identifier",
    code: "required",
  },
  {
    name: "HealthcareService.identifier",
    entry: 2,
    breakIt: (r) => delete r.identifier,
    expression: "Bundle.entry[2].resource.identifier",
    code: "required",
  },
  {
    name: "HealthcareService.name",
    entry: 2,
    breakIt: (r) => delete r.name,
    expression: "Bundle.entry[2].resource.name",
    code: "required",
  },
  {
    name: "HealthcareService.providedBy",
    entry: 2,
    breakIt: (r) => delete r.providedBy,
    expression: "Bundle.entry[2].resource.providedBy",
    code: "required",
  },
  {
    name: "HealthcareService.endpoint",
    entry: 2,
    breakIt: (r) => delete r.endpoint,
    expression: "Bundle.entry[2].resource.endpoint",
    code: "required",
  },
  {
    name: "HealthcareService.endpoint identifier",
    entry: 3,
    breakIt: (r) => (r.endpoint = [{}]),
    expression: "Bundle.entry[3].resource.endpoint[0].identifier",
    code: "required",
  },
];

for (const c of missingCases) {
  Deno.test(`offerings: missing ${c.name} is refused at ${c.expression}, nothing stored`, async () => {
    const { app } = mock();
    const bundle = offeringsTransaction();
    c.breakIt(bundle.entry![c.entry].resource);
    const { status, body } = await post(app, bundle);

    assert.equal(status, 400);
    assert.equal(body.resourceType, "OperationOutcome");
    assert.deepEqual(expressions(body), [c.expression]);
    assert.equal(body.issue[0].code, c.code);
    assert.equal(body.issue[0].severity, "error");
    assert.equal(typeof body.issue[0].diagnostics, "string");

    const received = await getJson(app, "/_mock/received");
    assert.deepEqual(received, {
      organizations: [],
      locations: [],
      healthcareServices: [],
      patients: [],
    });
  });
}

/** Wrong values rather than missing ones. */
const valueCases: {
  name: string;
  breakIt: (bundle: Bundle) => void;
  expression: string;
  code: string;
}[] = [
  {
    name: "an organization number with a wrong check digit",
    breakIt: (b) => {
      const r = b.entry![0].resource as Json;
      r.identifier[0].value = "948554063";
      b.entry![0].request!.url = conditional(
        "Organization",
        ORGNR,
        "948554063",
      );
    },
    expression: "Bundle.entry[0].resource.identifier[0].value",
    code: "value",
  },
  {
    name: "an organization number with spaces",
    breakIt: (b) => {
      const r = b.entry![0].resource as Json;
      r.identifier[0].value = "948 554 062";
      b.entry![0].request!.url = conditional(
        "Organization",
        ORGNR,
        "948 554 062",
      );
    },
    expression: "Bundle.entry[0].resource.identifier[0].value",
    code: "value",
  },
  {
    name: "an Organization without the org-number system",
    breakIt: (b) => {
      (b.entry![0].resource as Json).identifier[0].system = "urn:example";
    },
    expression: "Bundle.entry[0].resource.identifier",
    code: "value",
  },
  {
    name: "a service id that is not urn:uuid",
    breakIt: (b) => {
      (b.entry![2].resource as Json).identifier[0].value = "service-1";
      b.entry![2].request!.url = conditional(
        "HealthcareService",
        URI,
        "service-1",
      );
    },
    expression: "Bundle.entry[2].resource.identifier[0].value",
    code: "value",
  },
  {
    name: "a HER-id that is not digits",
    breakIt: (b) => {
      (b.entry![2].resource as Json).endpoint[0].identifier.value =
        "her-8093240";
    },
    expression: "Bundle.entry[2].resource.endpoint[0].identifier.value",
    code: "value",
  },
  {
    name: "an endpoint on another system",
    breakIt: (b) => {
      (b.entry![3].resource as Json).endpoint[0].identifier.system =
        "urn:example";
    },
    expression: "Bundle.entry[3].resource.endpoint[0].identifier.system",
    code: "value",
  },
  {
    name: "a POST instead of a conditional PUT",
    breakIt: (b) => {
      b.entry![0].request!.method = "POST";
    },
    expression: "Bundle.entry[0].request.method",
    code: "value",
  },
  {
    name: "a conditional URL on another identifier",
    breakIt: (b) => {
      b.entry![4].request!.url = conditional("Organization", ORGNR, ORG_A);
    },
    expression: "Bundle.entry[4].request.url",
    code: "invalid",
  },
  {
    name: "a conditional URL for another type",
    breakIt: (b) => {
      b.entry![1].request!.url = conditional("Organization", ORGNR, ORG_A);
    },
    expression: "Bundle.entry[1].request.url",
    code: "value",
  },
  {
    name: "a request URL that is not conditional",
    breakIt: (b) => {
      b.entry![1].request!.url = "Location/123";
    },
    expression: "Bundle.entry[1].request.url",
    code: "value",
  },
  {
    name: "providedBy pointing at no entry",
    breakIt: (b) => {
      const r = b.entry![6].resource as Json;
      r.providedBy = {
        reference: "urn:uuid:11111111-2222-4333-8444-555555555555",
      };
    },
    expression: "Bundle.entry[6].resource.providedBy.reference",
    code: "invalid",
  },
  {
    name: "providedBy pointing at a Location",
    breakIt: (b) => {
      (b.entry![6].resource as Json).providedBy = {
        reference: b.entry![5].fullUrl,
      };
    },
    expression: "Bundle.entry[6].resource.providedBy.reference",
    code: "invalid",
  },
  {
    name: "providedBy by an organization number neither sent nor stored",
    breakIt: (b) => {
      (b.entry![6].resource as Json).providedBy = {
        identifier: { system: ORGNR, value: "923609016" },
      };
    },
    expression: "Bundle.entry[6].resource.providedBy.identifier",
    code: "invalid",
  },
  {
    name: "providedBy whose reference and identifier disagree",
    breakIt: (b) => {
      (b.entry![6].resource as Json).providedBy.identifier.value = ORG_A;
    },
    expression: "Bundle.entry[6].resource.providedBy",
    code: "invalid",
  },
  {
    name: "a postal code that is not 4 digits",
    breakIt: (b) => {
      (b.entry![1].resource as Json).address.postalCode = "NO-0155";
    },
    expression: "Bundle.entry[1].resource.address.postalCode",
    code: "value",
  },
  {
    name: "a Patient in an offerings transaction",
    breakIt: (b) => {
      (b.entry![3].resource as Json) = { resourceType: "Patient" };
    },
    expression: "Bundle.entry[3].resource.resourceType",
    code: "value",
  },
  {
    name: "an entry without fullUrl",
    breakIt: (b) => {
      delete b.entry![3].fullUrl;
    },
    expression: "Bundle.entry[3].fullUrl",
    code: "required",
  },
  {
    name: "the same service twice",
    breakIt: (b) => {
      b.entry![3] = structuredClone(b.entry![2]);
      b.entry![3].fullUrl = "urn:uuid:11111111-2222-4333-8444-555555555555";
    },
    expression: "Bundle.entry[3].request.url",
    code: "invalid",
  },
];

for (const c of valueCases) {
  Deno.test(`offerings: ${c.name} is refused at ${c.expression}`, async () => {
    const { app } = mock();
    const bundle = offeringsTransaction();
    c.breakIt(bundle);
    const { status, body } = await post(app, bundle);

    assert.equal(status, 400);
    assert.deepEqual(expressions(body), [c.expression]);
    assert.equal(body.issue[0].code, c.code);
    assert.equal(
      (await getJson(app, "/_mock/received")).organizations.length,
      0,
    );
  });
}

Deno.test("offerings: every problem in the transaction is listed at once", async () => {
  const { app } = mock();
  const bundle = offeringsTransaction();
  const entries = bundle.entry!.map((e) => e.resource as Json);
  delete entries[0].name;
  delete entries[1].address.city;
  delete entries[1].address.postalCode;
  delete entries[3].endpoint;
  entries[6].name = "";
  const { status, body } = await post(app, bundle);

  assert.equal(status, 400);
  assert.deepEqual(expressions(body), [
    "Bundle.entry[0].resource.name",
    "Bundle.entry[1].resource.address.city",
    "Bundle.entry[1].resource.address.postalCode",
    "Bundle.entry[3].resource.endpoint",
    "Bundle.entry[6].resource.name",
  ]);
  assert.ok(body.issue.every((issue: Json) => issue.code === "required"));
  assert.ok(
    body.issue.every((issue: Json) => /required/.test(issue.diagnostics)),
  );
});

Deno.test("offerings: a service may name an Organization stored earlier by its identifier", async () => {
  const { app } = mock();
  await post(app, offeringsTransaction());
  const orgId = (await getJson(app, "/_mock/received")).organizations[0].id;

  const later: Bundle = {
    resourceType: "Bundle",
    type: "transaction",
    entry: [{
      fullUrl: "urn:uuid:7d4c1b2a-0e9f-4a8b-9c7d-6e5f4a3b2c1d",
      resource: {
        resourceType: "HealthcareService",
        identifier: [{
          system: URI,
          value: "urn:uuid:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        }],
        name: "Fysioterapi",
        providedBy: { identifier: { system: ORGNR, value: ORG_A } },
        endpoint: [{
          identifier: {
            system: "urn:oid:2.16.578.1.12.4.1.2",
            value: "8093242",
          },
        }],
      },
      request: {
        method: "PUT",
        url: conditional(
          "HealthcareService",
          URI,
          "urn:uuid:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        ),
      },
    }],
  };
  const { status, body } = await post(app, later);
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.entry[0].response.status, "201 Created");
  const services = (await getJson(app, "/_mock/received")).healthcareServices;
  assert.equal(services.length, 4);
  assert.equal(services[3].providedBy.reference, `Organization/${orgId}`);
});
