import assert from "node:assert/strict";
import type { Bundle, BundleEntry, Patient } from "fhir/r4";
import { notConsentedIssue, operationOutcome } from "../fhir/outcome.ts";
import { HelsenorgeError } from "../helsenorge/client.ts";
import type { MemberEntry, MemberRecord } from "../input/member.ts";
import { sampleOfferings } from "../fhir/_samples.ts";
import { ExitCode } from "./report.ts";
import { type BundleTarget, runSync } from "./sync.ts";

// Synthetic Test Norge ids from the shared sample export.
const IDS = ["23907640450", "17814734625", "21838440581", "01927043714"];

function record(row: number, nationalId: string): MemberRecord {
  return {
    row,
    nationalId: { value: nationalId, column: "Fødselsnummer" },
    organizationNumber: { value: "948 554 062", column: "Organisasjonsnummer" },
    start: { value: "01.01.2026", column: "Medlem fra" },
    end: { value: "31.12.2026", column: "Medlem til" },
  };
}

async function* rows(ids = IDS): AsyncGenerator<MemberEntry> {
  let row = 1;
  for (const id of ids) yield { record: record(++row, id) };
}

type EntryAnswer = "stored" | "not-consented" | "invalid" | "failed";

/** A target that answers each member entry by the id it carries. */
function fakeTarget(
  answer: (nationalId: string, call: number) => EntryAnswer,
  overrides: Partial<BundleTarget> = {},
) {
  const calls: Bundle[] = [];
  const target: BundleTarget = {
    offerings: () =>
      Promise.resolve({ resourceType: "Bundle", type: "transaction-response" }),
    members: (bundle) => {
      calls.push(bundle);
      const entry = (bundle.entry ?? []).map((e): BundleEntry => {
        const id = (e.resource as Patient)
          .identifier![0].value!;
        return { response: responseFor(answer(id, calls.length)) };
      });
      return Promise.resolve({
        resourceType: "Bundle",
        type: "batch-response",
        entry,
      });
    },
    ...overrides,
  };
  return { target, calls };
}

function responseFor(kind: EntryAnswer): BundleEntry["response"] {
  switch (kind) {
    case "stored":
      return { status: "201 Created" };
    case "not-consented":
      return {
        status: "422 Unprocessable Entity",
        outcome: operationOutcome([notConsentedIssue()]),
      };
    case "invalid":
      return {
        status: "400 Bad Request",
        outcome: operationOutcome([{
          severity: "error",
          code: "required",
          diagnostics: "contact.period.end is required",
        }]),
      };
    case "failed":
      return { status: "503 Service Unavailable" };
  }
}

const rules = { allowSynthetic: true };

Deno.test("runSync() books each entry's outcome and counts every row once", async () => {
  const answers: Record<string, EntryAnswer> = {
    [IDS[0]]: "stored",
    [IDS[1]]: "not-consented",
    [IDS[2]]: "invalid",
    [IDS[3]]: "stored",
  };
  const { target, calls } = fakeTarget((id) => answers[id]);
  const report = await runSync({
    target,
    members: rows(),
    rules,
    batchSize: 3,
  });
  assert.equal(calls.length, 2);
  assert.deepEqual(
    [
      report.members.stored,
      report.members.notConsented,
      report.members.invalid,
    ],
    [2, 1, 1],
  );
  const refused = report.problems.find((p) =>
    p.code === "rejected-by-helsenorge"
  );
  assert.equal(refused?.row, 4);
  assert.equal(refused?.value, "218384*****");
  assert.match(refused!.reason, /period.end is required/);
  assert.equal(report.exitCode, ExitCode.rowsRejected);
});

Deno.test("runSync() resends members whose entries failed, then counts what still fails", async () => {
  const { target, calls } = fakeTarget((id, call) =>
    id === IDS[0] && call === 1 ? "failed" : id === IDS[1] ? "failed" : "stored"
  );
  const report = await runSync({
    target,
    members: rows(),
    rules,
    failedEntryRounds: 2,
  });
  // One first call, then two rounds for what failed.
  assert.equal(calls.length, 3);
  assert.equal(calls[1].entry?.length, 2);
  assert.equal(calls[2].entry?.length, 1);
  assert.equal(report.members.stored, 3);
  assert.equal(report.members.failed, 1);
  assert.equal(report.exitCode, ExitCode.incomplete);
});

Deno.test("runSync() sends no member when the offerings are refused", async () => {
  const { target, calls } = fakeTarget(() => "stored", {
    offerings: () =>
      Promise.reject(
        new HelsenorgeError("ERR_HELSENORGE_REJECTED", "HTTP 400", {
          step: "offerings",
          status: 400,
          attempts: 1,
        }),
      ),
  });
  const report = await runSync({
    target,
    offerings: await sampleOfferings(),
    members: rows(),
    rules,
  });
  assert.equal(calls.length, 0);
  assert.equal(report.offerings.status, "failed");
  assert.match(report.stoppedBecause!, /offerings were not accepted/);
  assert.equal(report.exitCode, ExitCode.incomplete);
});

Deno.test("runSync() stops when Helsenorge stays unavailable and says so", async () => {
  let calls = 0;
  const { target } = fakeTarget(() => "stored", {
    members: () => {
      calls++;
      return Promise.reject(
        new HelsenorgeError(
          "ERR_HELSENORGE_UNAVAILABLE",
          "no usable answer after 5 attempts",
          { step: "members", attempts: 5 },
        ),
      );
    },
  });
  const report = await runSync({
    target,
    members: rows(),
    rules,
    batchSize: 1,
    concurrency: 1,
    breakerFailures: 1,
  });
  assert.equal(calls, 1);
  assert.equal(report.members.failed, 1);
  assert.match(report.stoppedBecause!, /no usable answer/);
  assert.equal(report.exitCode, ExitCode.incomplete);
});

Deno.test("runSync() sends a member listed twice for one organization once", async () => {
  const { target, calls } = fakeTarget(() => "stored");
  const report = await runSync({
    target,
    members: rows([IDS[0], IDS[1], ` ${IDS[0]} `]),
    rules,
  });
  assert.equal(calls[0].entry?.length, 2);
  assert.equal(report.members.duplicates, 1);
  assert.equal(report.members.stored, 2);
  assert.equal(report.exitCode, ExitCode.ok);
});

Deno.test("runSync() sends a failed call's members again later when the breaker allows, and stops after that many failures in a row", async () => {
  const unavailable = () =>
    Promise.reject(
      new HelsenorgeError(
        "ERR_HELSENORGE_UNAVAILABLE",
        "no usable answer after 5 attempts",
        { step: "members", attempts: 5 },
      ),
    );
  // Call 2 fails: with a breaker of 2 its member is sent again and stored.
  const once = fakeTarget(() => "stored");
  let calls = 0;
  const recovering = await runSync({
    target: {
      ...once.target,
      members: (bundle) =>
        ++calls === 2 ? unavailable() : once.target.members(bundle),
    },
    members: rows(),
    rules,
    batchSize: 1,
    concurrency: 1,
    breakerFailures: 2,
  });
  assert.equal(calls, 5);
  assert.equal(recovering.members.stored, IDS.length);
  assert.equal(recovering.stoppedBecause, undefined);
  assert.equal(recovering.exitCode, ExitCode.ok);

  // Calls 2 and 3 fail in a row: the breaker opens; the rest is not sent.
  calls = 0;
  const stopped = await runSync({
    target: {
      ...once.target,
      members: (bundle) =>
        ++calls >= 2 ? unavailable() : once.target.members(bundle),
    },
    members: rows(),
    rules,
    batchSize: 1,
    concurrency: 1,
    breakerFailures: 2,
  });
  assert.equal(calls, 3);
  assert.equal(stopped.members.stored, 1);
  assert.equal(stopped.members.failed, 2);
  assert.equal(stopped.members.notSent, 1);
  assert.match(
    stopped.stoppedBecause!,
    /circuit breaker opened after 2 member calls in a row/,
  );
  assert.equal(stopped.exitCode, ExitCode.incomplete);
});
