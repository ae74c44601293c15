import assert from "node:assert/strict";
import { memberToPatient, patientConditionalUrl } from "./patient.ts";
import { dnrMember, fnrMember } from "./_samples.ts";

Deno.test("memberToPatient() sends only the national id and the membership", () => {
  assert.deepEqual(memberToPatient(fnrMember()), {
    resourceType: "Patient",
    identifier: [{
      system: "urn:oid:2.16.578.1.12.4.1.4.1",
      value: "23907640450",
    }],
    contact: [{
      organization: {
        identifier: {
          system: "urn:oid:2.16.578.1.12.4.1.4.101",
          value: "948554062",
        },
      },
      period: { start: "2026-01-01", end: "2026-12-31" },
    }],
  });
});

Deno.test("memberToPatient() uses the D-nummer system for a D-nummer", () => {
  const patient = memberToPatient(dnrMember());
  assert.deepEqual(patient.identifier, [{
    system: "urn:oid:2.16.578.1.12.4.1.4.2",
    value: "55904713375",
  }]);
  assert.equal(patient.name, undefined);
  assert.equal(patient.meta, undefined);
});

Deno.test("patientConditionalUrl() searches by the member's system and id", () => {
  assert.equal(
    patientConditionalUrl(dnrMember()),
    "Patient?identifier=urn%3Aoid%3A2.16.578.1.12.4.1.4.2%7C55904713375",
  );
});
