/**
 * Every resource and bundle the mappers in src/fhir produce is valid FHIR R4,
 * checked by an independent validator (./r4_validator.ts).
 */

import assert from "node:assert/strict";
import type { Bundle } from "fhir/r4";
import { validateR4 } from "./r4_validator.ts";
import { memberToPatient } from "../../src/fhir/patient.ts";
import { membersBundle } from "../../src/fhir/members_bundle.ts";
import { offeringsBundle } from "../../src/fhir/offerings_bundle.ts";
import { notConsentedIssue, operationOutcome } from "../../src/fhir/outcome.ts";
import {
  dnrMember,
  fnrMember,
  sampleOfferings,
} from "../../src/fhir/_samples.ts";

const members = [
  fnrMember(),
  dnrMember(),
  fnrMember({ row: 4, organizationNumber: "974760673", start: "2026-03-01" }),
  fnrMember({ row: 5, nationalId: "01927043714", end: "2026-01-01" }),
];

function assertEntriesValid(bundle: Bundle): void {
  for (const [index, entry] of (bundle.entry ?? []).entries()) {
    assert.deepEqual(validateR4(entry.resource), [], `entry ${index}`);
  }
}

Deno.test("memberToPatient() makes valid Patients", () => {
  for (const member of members) {
    assert.deepEqual(validateR4(memberToPatient(member)), []);
  }
});

Deno.test("membersBundle() makes a valid batch, merged person included", () => {
  const { bundle } = membersBundle(members);
  assert.equal(bundle.entry?.length, 3);
  assert.deepEqual(validateR4(bundle), []);
  assertEntriesValid(bundle);
});

Deno.test("offeringsBundle() makes a valid transaction for fixtures/helsetilbud.json", async () => {
  const { bundle } = offeringsBundle(await sampleOfferings());
  assert.deepEqual(validateR4(bundle), []);
  assertEntriesValid(bundle);
});

Deno.test("operationOutcome() makes valid OperationOutcomes", () => {
  assert.deepEqual(validateR4(operationOutcome([notConsentedIssue()])), []);
  assert.deepEqual(
    validateR4(operationOutcome([{
      severity: "error",
      code: "invalid",
      diagnostics: "period.end is before period.start",
      expression: ["Bundle.entry[0].resource.contact[0].period"],
    }])),
    [],
  );
});
