import assert from "node:assert/strict";
import { validateR4 } from "./r4_validator.ts";

const FNR = "urn:oid:2.16.578.1.12.4.1.4.1";
const ORG = "urn:oid:2.16.578.1.12.4.1.4.101";
const FULL_URL = "urn:uuid:6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b4c10";

function patient(contact: unknown[]): unknown {
  return {
    resourceType: "Patient",
    identifier: [{ system: FNR, value: "23907640450" }],
    contact,
  };
}

const membership = {
  organization: { identifier: { system: ORG, value: "948554062" } },
  period: { start: "2026-01-01", end: "2026-12-31" },
};

function assertFails(resource: unknown, pattern: RegExp): void {
  const issues = validateR4(resource);
  assert.ok(
    issues.some((issue) => pattern.test(issue)),
    `expected an issue matching ${pattern}, got ${JSON.stringify(issues)}`,
  );
}

Deno.test("validateR4() accepts the contract's Patient", () => {
  assert.deepEqual(validateR4(patient([membership])), []);
});

Deno.test("validateR4() fails pat-1 for a contact with no organization or details", () => {
  assertFails(
    patient([{ period: { start: "2026-01-01", end: "2026-12-31" } }]),
    /^Patient\.contact\[0\]: Constraint pat-1 not met/,
  );
});

Deno.test("validateR4() fails per-1 for a period that ends before it starts", () => {
  assertFails(
    patient([{
      ...membership,
      period: { start: "2026-12-31", end: "2026-01-01" },
    }]),
    /^Patient\.contact\[0\]\.period: Constraint per-1 not met/,
  );
});

Deno.test("validateR4() fails per-1 inside a Bundle entry too", () => {
  assertFails(
    {
      resourceType: "Bundle",
      type: "batch",
      entry: [{
        fullUrl: FULL_URL,
        resource: patient([{
          ...membership,
          period: { start: "2026-12-31", end: "2026-01-01" },
        }]),
        request: { method: "PUT", url: "Patient" },
      }],
    },
    /^Bundle\.entry\[0\]\.resource\.contact\[0\]\.period: Constraint per-1/,
  );
});

Deno.test("validateR4() fails a batch entry whose request has no method", () => {
  assertFails(
    {
      resourceType: "Bundle",
      type: "batch",
      entry: [{
        fullUrl: FULL_URL,
        resource: patient([membership]),
        request: { url: "Patient" },
      }],
    },
    /^Bundle\.entry\[0\]\.request\.method: Missing required property/,
  );
});

Deno.test("validateR4() fails bdl-3 for a batch entry without request", () => {
  assertFails(
    {
      resourceType: "Bundle",
      type: "batch",
      entry: [{ fullUrl: FULL_URL, resource: patient([membership]) }],
    },
    /Constraint bdl-3 not met/,
  );
});

Deno.test("validateR4() fails bdl-7 for two entries with one fullUrl", () => {
  const entry = {
    fullUrl: FULL_URL,
    resource: patient([membership]),
    request: { method: "PUT", url: "Patient" },
  };
  assertFails(
    { resourceType: "Bundle", type: "batch", entry: [entry, entry] },
    /Constraint bdl-7 not met/,
  );
});

Deno.test("validateR4() fails ref-1 for a local reference to nothing contained", () => {
  assertFails(
    patient([{ ...membership, organization: { reference: "#missing" } }]),
    /^Patient\.contact\[0\]\.organization: Constraint ref-1 not met/,
  );
});

Deno.test("validateR4() fails codes outside a required value set", () => {
  const issues = validateR4({
    resourceType: "Bundle",
    type: "batchx",
    entry: [{
      fullUrl: FULL_URL,
      resource: {
        resourceType: "Location",
        telecom: [{ system: "fax-ish", value: "1" }],
      },
      request: { method: "UPSERT", url: "Location" },
    }],
  });
  for (
    const pattern of [/Bundle\.type: Code "batchx"/, /system: Code "fax-ish"/]
  ) {
    assert.ok(issues.some((issue) => pattern.test(issue)), issues.join("\n"));
  }
});

Deno.test("validateR4() fails wrong types, unknown properties and bad dates", () => {
  const issues = validateR4({
    resourceType: "HealthcareService",
    active: "yes",
    colour: "blue",
    name: "x",
  });
  assert.ok(
    issues.some((issue) => issue.startsWith("HealthcareService.active")),
  );
  assert.ok(issues.some((issue) => issue.includes('"colour"')));
  assertFails(
    patient([{ ...membership, period: { start: "01.01.2026" } }]),
    /period\.start/,
  );
});

Deno.test("validateR4() fails something that is not a resource", () => {
  assert.equal(validateR4({ hello: 1 }).length, 1);
  assert.equal(validateR4({ resourceType: "Member" }).length, 1);
  assert.equal(validateR4(null).length, 1);
});

Deno.test("validateR4() accepts a display-only reference (ref-1 on no reference)", () => {
  assert.deepEqual(
    validateR4(patient([{ organization: { display: "Eksempel AS" } }])),
    [],
  );
});
