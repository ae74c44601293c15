import assert from "node:assert/strict";
import type { BundleEntry, OperationOutcome } from "fhir/r4";
import {
  describeOperationOutcome,
  notConsentedIssue,
  operationOutcome,
  readEntryOutcome,
} from "./outcome.ts";

function answer(status: string, outcome?: OperationOutcome): BundleEntry {
  return { response: outcome ? { status, outcome } : { status } };
}

Deno.test("readEntryOutcome() reads 200 and 201 as stored", () => {
  assert.deepEqual(readEntryOutcome(answer("200 OK")), { kind: "stored" });
  assert.deepEqual(readEntryOutcome(answer("201 Created")), {
    kind: "stored",
  });
  assert.deepEqual(readEntryOutcome(answer("201")), { kind: "stored" });
});

Deno.test("readEntryOutcome() reads a not-consented 422 as not consented", () => {
  const outcome = operationOutcome([
    notConsentedIssue("Innbygger er ikke aktiv på Helsenorge"),
  ]);
  assert.deepEqual(
    readEntryOutcome(answer("422 Unprocessable Entity", outcome)),
    {
      kind: "not-consented",
      reason: "error business-rule: Innbygger er ikke aktiv på Helsenorge",
    },
  );
});

Deno.test("readEntryOutcome() needs the not-consented coding, not just business-rule", () => {
  const outcome = operationOutcome([{
    severity: "error",
    code: "business-rule",
    diagnostics: "membership period is over",
    expression: ["Patient.contact[0].period.end"],
  }]);
  assert.deepEqual(
    readEntryOutcome(answer("422 Unprocessable Entity", outcome)),
    {
      kind: "invalid",
      reason:
        "error business-rule: membership period is over (at Patient.contact[0].period.end)",
    },
  );
});

Deno.test("readEntryOutcome() reads a 400 as invalid with the server's reason", () => {
  const outcome = operationOutcome([{
    severity: "error",
    code: "invalid",
    diagnostics: "period.end is before period.start",
    details: { text: "Ugyldig periode" },
    expression: ["Patient.contact[0].period"],
  }]);
  assert.deepEqual(readEntryOutcome(answer("400 Bad Request", outcome)), {
    kind: "invalid",
    reason:
      "error invalid: period.end is before period.start - Ugyldig periode (at Patient.contact[0].period)",
  });
});

Deno.test("readEntryOutcome() gives the status line when a 4xx has no outcome", () => {
  assert.deepEqual(readEntryOutcome(answer("404 Not Found")), {
    kind: "invalid",
    reason: "404 Not Found",
  });
});

Deno.test("readEntryOutcome() reads 5xx and a missing status as failed", () => {
  assert.deepEqual(readEntryOutcome(answer("503 Service Unavailable")), {
    kind: "failed",
    reason: "503 Service Unavailable",
  });
  assert.deepEqual(readEntryOutcome({}), {
    kind: "failed",
    reason: "the response entry has no status",
  });
  assert.equal(readEntryOutcome(answer("OK")).kind, "failed");
});

Deno.test("readEntryOutcome() never lets a national id through", () => {
  const outcome = operationOutcome([{
    severity: "error",
    code: "invalid",
    diagnostics:
      "Patient 23907640450 (also 239076 40450) has no consent; org 948554062",
  }]);
  const result = readEntryOutcome(answer("400 Bad Request", outcome));
  assert.equal(result.kind, "invalid");
  assert.ok("reason" in result);
  assert.doesNotMatch(result.reason, /40450/);
  assert.match(result.reason, /239076\*{5}/);
  assert.match(result.reason, /org 948554062/);

  const status = readEntryOutcome(answer("400 Bad id 55904713375"));
  assert.ok("reason" in status);
  assert.equal(status.reason, "400 Bad id 559047*****");
});

Deno.test("describeOperationOutcome() joins every issue with its place", () => {
  const outcome: OperationOutcome = {
    resourceType: "OperationOutcome",
    issue: [
      {
        severity: "error",
        code: "required",
        diagnostics: "name is missing",
        expression: ["Bundle.entry[2].resource.name"],
      },
      { severity: "warning", code: "informational" },
    ],
  };
  assert.equal(
    describeOperationOutcome(outcome),
    "error required: name is missing (at Bundle.entry[2].resource.name); warning informational",
  );
});

Deno.test("operationOutcome() refuses an empty issue list", () => {
  assert.throws(() => operationOutcome([]), RangeError);
});

Deno.test("readEntryOutcome() scrubs a token a server echoes in an entry's outcome", () => {
  const outcome = readEntryOutcome({
    response: {
      status: "400 Bad Request",
      outcome: {
        resourceType: "OperationOutcome",
        issue: [{
          severity: "error",
          code: "invalid",
          diagnostics:
            "token Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln rejected for 23907640450",
        }],
      } as OperationOutcome,
    },
  });
  assert.equal(outcome.kind, "invalid");
  const reason = (outcome as { reason: string }).reason;
  assert.doesNotMatch(reason, /eyJ|23907640450/);
  assert.match(reason, /239076\*\*\*\*\*/);
});
