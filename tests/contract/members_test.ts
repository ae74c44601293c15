// Step 2 of docs/api-contract.md: the members batch.

import assert from "node:assert/strict";
import type { Patient } from "fhir/r4";
import { createMockApp } from "../../mock-helsenorge/app.ts";
import {
  BAD_CHECK_DIGIT,
  conditional,
  contact,
  DNR,
  expressions,
  FNR,
  getJson,
  INGRID,
  KARI,
  memberEntry,
  membersBatch,
  OLA,
  ORG_A,
  ORG_B,
  ORGNR,
  PER,
  post,
} from "./_bundles.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

function mock(options: Parameters<typeof createMockApp>[0] = {}) {
  return createMockApp({ notConsentedFraction: 0, log: () => {}, ...options });
}

Deno.test("members: a mixed batch is answered per entry, in order", async () => {
  const { app } = mock({ notConsented: [OLA] });
  const broken = memberEntry(INGRID, FNR, [
    contact(ORG_B, "2026-12-31", "2026-01-01"),
  ]);
  const { status, body } = await post(
    app,
    membersBatch([
      memberEntry(KARI, FNR),
      memberEntry(OLA, FNR),
      broken,
      memberEntry(PER, DNR, [contact(ORG_B)]),
    ]),
  );

  assert.equal(status, 200);
  assert.equal(body.type, "batch-response");
  assert.deepEqual(
    body.entry.map((e: Json) => e.response.status),
    [
      "201 Created",
      "422 Unprocessable Entity",
      "400 Bad Request",
      "201 Created",
    ],
  );
  assert.match(
    body.entry[0].response.location,
    /^Patient\/[^/]+\/_history\/1$/,
  );
  assert.equal(body.entry[0].response.outcome, undefined);

  const notConsented = body.entry[1].response.outcome.issue[0];
  assert.equal(notConsented.code, "business-rule");
  assert.deepEqual(
    notConsented.details.coding[0].system,
    "urn:medlemsbro:helsenorge-outcome",
  );
  assert.deepEqual(notConsented.details.coding[0].code, "not-consented");

  assert.deepEqual(expressions(body.entry[2].response.outcome), [
    "Bundle.entry[2].resource.contact[0].period.end",
  ]);

  const patients: Patient[] = (await getJson(app, "/_mock/received")).patients;
  assert.deepEqual(
    patients.map((p) => p.identifier![0].value).sort(),
    [KARI, PER].sort(),
  );
});

Deno.test("members: a not-consented member is not stored, and its outcome masks the id", async () => {
  const { app } = mock({ notConsented: [KARI] });
  const { body } = await post(app, membersBatch([memberEntry(KARI, FNR)]));
  const text = JSON.stringify(body);
  assert.ok(
    !text.includes(KARI),
    "the full national id must not appear in the answer",
  );
  assert.ok(text.includes("239076*****"));
  assert.deepEqual((await getJson(app, "/_mock/received")).patients, []);
});

Deno.test("members: a D-nummer sent with the fødselsnummer system is refused", async () => {
  const { app } = mock();
  const entry = memberEntry(PER, FNR);
  const { body } = await post(app, membersBatch([entry]));
  const answer = body.entry[0].response;
  assert.equal(answer.status, "400 Bad Request");
  assert.deepEqual(expressions(answer.outcome), [
    "Bundle.entry[0].resource.identifier[0].value",
  ]);
  assert.match(answer.outcome.issue[0].diagnostics, /D-nummer/);
  assert.ok(!JSON.stringify(body).includes(PER));
});

Deno.test("members: a fødselsnummer sent with the D-nummer system is refused", async () => {
  const { app } = mock();
  const { body } = await post(app, membersBatch([memberEntry(KARI, DNR)]));
  assert.equal(body.entry[0].response.status, "400 Bad Request");
  assert.deepEqual(expressions(body.entry[0].response.outcome), [
    "Bundle.entry[0].resource.identifier[0].value",
  ]);
});

Deno.test("members: synthetic ids are refused when the mock runs as production", async () => {
  const { app } = mock({ production: true });
  const { body } = await post(app, membersBatch([memberEntry(KARI, FNR)]));
  assert.equal(body.entry[0].response.status, "400 Bad Request");
  assert.match(
    body.entry[0].response.outcome.issue[0].diagnostics,
    /synthetic/,
  );
});

/** One broken element per case, and where the answer must point. */
const invalidCases: {
  name: string;
  breakIt: (entry: Json) => void;
  expression: string;
  code: string;
}[] = [
  {
    name: "a wrong check digit",
    breakIt: (e) => {
      e.resource.identifier[0].value = BAD_CHECK_DIGIT;
      e.request.url = conditional("Patient", FNR, BAD_CHECK_DIGIT);
    },
    expression: "Bundle.entry[0].resource.identifier[0].value",
    code: "value",
  },
  {
    name: "a 10-digit id (no leading zero restored by the server)",
    breakIt: (e) => {
      e.resource.identifier[0].value = "9863110510";
      e.request.url = conditional("Patient", FNR, "9863110510");
    },
    expression: "Bundle.entry[0].resource.identifier[0].value",
    code: "value",
  },
  {
    name: "no identifier",
    breakIt: (e) => delete e.resource.identifier,
    expression: "Bundle.entry[0].resource.identifier",
    code: "required",
  },
  {
    name: "an identifier on another system",
    breakIt: (e) => (e.resource.identifier[0].system = "urn:example"),
    expression: "Bundle.entry[0].resource.identifier",
    code: "value",
  },
  {
    name: "no contact",
    breakIt: (e) => delete e.resource.contact,
    expression: "Bundle.entry[0].resource.contact",
    code: "required",
  },
  {
    name: "an empty contact list",
    breakIt: (e) => (e.resource.contact = []),
    expression: "Bundle.entry[0].resource.contact",
    code: "required",
  },
  {
    name: "no contact organization identifier",
    breakIt: (e) => delete e.resource.contact[0].organization.identifier,
    expression: "Bundle.entry[0].resource.contact[0].organization.identifier",
    code: "required",
  },
  {
    name: "a contact organization number with a wrong check digit",
    breakIt: (
      e,
    ) => (e.resource.contact[0].organization.identifier.value = "948554063"),
    expression:
      "Bundle.entry[0].resource.contact[0].organization.identifier.value",
    code: "value",
  },
  {
    name: "a contact organization on another system",
    breakIt: (
      e,
    ) => (e.resource.contact[0].organization.identifier.system = "urn:example"),
    expression:
      "Bundle.entry[0].resource.contact[0].organization.identifier.system",
    code: "value",
  },
  {
    name: "no period",
    breakIt: (e) => delete e.resource.contact[0].period,
    expression: "Bundle.entry[0].resource.contact[0].period",
    code: "required",
  },
  {
    name: "no period.start",
    breakIt: (e) => delete e.resource.contact[0].period.start,
    expression: "Bundle.entry[0].resource.contact[0].period.start",
    code: "required",
  },
  {
    name: "no period.end (the 'Uten sluttdato' row)",
    breakIt: (e) => delete e.resource.contact[0].period.end,
    expression: "Bundle.entry[0].resource.contact[0].period.end",
    code: "required",
  },
  {
    name: "a period.start that is no date",
    breakIt: (e) => (e.resource.contact[0].period.start = "01.01.2026"),
    expression: "Bundle.entry[0].resource.contact[0].period.start",
    code: "value",
  },
  {
    name: "a period.end on 29 February of a common year",
    breakIt: (e) => (e.resource.contact[0].period.end = "2027-02-29"),
    expression: "Bundle.entry[0].resource.contact[0].period.end",
    code: "value",
  },
  {
    name: "a period that ends before it starts",
    breakIt: (
      e,
    ) => (e.resource.contact[0].period = {
      start: "2026-12-31",
      end: "2026-01-01",
    }),
    expression: "Bundle.entry[0].resource.contact[0].period.end",
    code: "value",
  },
  {
    name: "a name (personal data the API never takes)",
    breakIt: (e) => (e.resource.name = [{ family: "Testesen" }]),
    expression: "Bundle.entry[0].resource.name",
    code: "invalid",
  },
  {
    name: "a POST instead of a conditional PUT",
    breakIt: (e) => (e.request.method = "POST"),
    expression: "Bundle.entry[0].request.method",
    code: "value",
  },
  {
    name: "a conditional URL for another person",
    breakIt: (e) => (e.request.url = conditional("Patient", FNR, OLA)),
    expression: "Bundle.entry[0].request.url",
    code: "invalid",
  },
  {
    name: "a conditional URL for another type",
    breakIt: (e) => (e.request.url = conditional("Person", FNR, KARI)),
    expression: "Bundle.entry[0].request.url",
    code: "value",
  },
  {
    name: "an Organization in a members batch",
    breakIt: (e) => (e.resource = { resourceType: "Organization" }),
    expression: "Bundle.entry[0].resource.resourceType",
    code: "value",
  },
];

for (const c of invalidCases) {
  Deno.test(`members: ${c.name} is answered 400 at ${c.expression}`, async () => {
    const { app } = mock();
    const entry = memberEntry(KARI, FNR);
    c.breakIt(entry);
    const { status, body } = await post(app, membersBatch([entry]));

    assert.equal(status, 200);
    const answer = body.entry[0].response;
    assert.equal(answer.status, "400 Bad Request");
    assert.equal(answer.outcome.resourceType, "OperationOutcome");
    assert.deepEqual(expressions(answer.outcome), [c.expression]);
    assert.equal(answer.outcome.issue[0].code, c.code);
    assert.ok(!JSON.stringify(body).includes(KARI));
    assert.deepEqual((await getJson(app, "/_mock/received")).patients, []);
  });
}

Deno.test("members: dates with time and zone are accepted, and a one-day membership is fine", async () => {
  const { app } = mock();
  const { body } = await post(
    app,
    membersBatch([
      memberEntry(KARI, FNR, [
        contact(ORG_A, "2026-01-01T00:00:00+01:00", "2026-12-31T23:59:59Z"),
      ]),
      memberEntry(OLA, FNR, [contact(ORG_A, "2026-03-15", "2026-03-15")]),
    ]),
  );
  assert.deepEqual(body.entry.map((e: Json) => e.response.status), [
    "201 Created",
    "201 Created",
  ]);
});

Deno.test("members: one Patient per national id; contacts merge per organization", async () => {
  const { app } = mock();
  const first = await post(
    app,
    membersBatch([memberEntry(KARI, FNR, [contact(ORG_A)])]),
  );
  const second = await post(
    app,
    membersBatch([
      memberEntry(KARI, FNR, [contact(ORG_B, "2026-02-01", "2026-06-30")]),
    ]),
  );
  const third = await post(
    app,
    membersBatch([
      memberEntry(KARI, FNR, [contact(ORG_A, "2026-01-01", "2027-12-31")]),
    ]),
  );

  assert.equal(first.body.entry[0].response.status, "201 Created");
  assert.equal(second.body.entry[0].response.status, "200 OK");
  assert.equal(third.body.entry[0].response.status, "200 OK");
  const [path] = first.body.entry[0].response.location.split("/_history");
  assert.equal(third.body.entry[0].response.location, `${path}/_history/3`);

  const patients: Patient[] = (await getJson(app, "/_mock/received")).patients;
  assert.equal(patients.length, 1);
  assert.equal(patients[0].meta?.versionId, "3");
  const byOrg = Object.fromEntries(
    patients[0].contact!.map((
      c,
    ) => [c.organization!.identifier!.value, c.period]),
  );
  assert.deepEqual(byOrg, {
    [ORG_A]: { start: "2026-01-01", end: "2027-12-31" },
    [ORG_B]: { start: "2026-02-01", end: "2026-06-30" },
  });
});

Deno.test("members: a member of two organizations in one entry keeps both contacts", async () => {
  const { app } = mock();
  await post(
    app,
    membersBatch([memberEntry(PER, DNR, [contact(ORG_A), contact(ORG_B)])]),
  );
  const [patient] = (await getJson(app, "/_mock/received")).patients;
  assert.deepEqual(patient.identifier, [{ system: DNR, value: PER }]);
  assert.deepEqual(
    patient.contact.map((c: Json) => c.organization.identifier),
    [{ system: ORGNR, value: ORG_A }, { system: ORGNR, value: ORG_B }],
  );
});

Deno.test("members: every problem of one entry is listed in its outcome", async () => {
  const { app } = mock();
  const entry: Json = memberEntry(KARI, FNR, [contact(ORG_A), contact(ORG_B)]);
  delete entry.resource.contact[0].period.end;
  entry.resource.contact[1].organization.identifier.value = "974760674";
  entry.resource.telecom = [{ system: "phone", value: "+4799999999" }];
  const { body } = await post(app, membersBatch([entry]));
  assert.deepEqual(expressions(body.entry[0].response.outcome), [
    "Bundle.entry[0].resource.telecom",
    "Bundle.entry[0].resource.contact[0].period.end",
    "Bundle.entry[0].resource.contact[1].organization.identifier.value",
  ]);
});

Deno.test("members: an empty batch is answered with an empty batch-response", async () => {
  const { app } = mock();
  const { status, body } = await post(app, {
    resourceType: "Bundle",
    type: "batch",
  });
  assert.equal(status, 200);
  assert.deepEqual(body, {
    resourceType: "Bundle",
    type: "batch-response",
    entry: [],
  });
});
