import assert from "node:assert/strict";
import { batched } from "../batches/batched.ts";
import type { Member, MemberEntry, MemberRecord } from "../input/member.ts";
import { InputError } from "../input/problem.ts";
import { emptyMemberCounts, ProblemList } from "./report.ts";
import { type ValidationOutcome, validMembers } from "./valid_members.ts";

// Synthetic Test Norge ids from the shared sample export.
const IDS = ["23907640450", "17814734625", "21838440581", "01927043714"];

function record(row: number, nationalId: string, end = "31.12.2026") {
  const entry: MemberRecord = {
    row,
    nationalId: { value: nationalId, column: "Fødselsnummer" },
    organizationNumber: { value: "948 554 062", column: "Organisasjonsnummer" },
    start: { value: "01.01.2026", column: "Medlem fra" },
    end: { value: end, column: "Medlem til" },
  };
  return { record: entry };
}

/** Good rows, a bad one (39), a duplicate (40), a problem from the reader. */
const runs: MemberEntry[][] = [
  [record(2, IDS[0]), record(3, IDS[1])],
  [],
  [record(39, IDS[2], "2025-01-01"), record(40, IDS[0])],
  [{
    problem: {
      row: 41,
      column: "",
      value: "",
      reason: "not JSON",
      code: "malformed-row",
      severity: "error",
    },
  }, record(42, "9863110510")],
];

async function validate(entries: AsyncIterable<MemberEntry>) {
  const counts = emptyMemberCounts();
  const problems = new ProblemList();
  const outcome: ValidationOutcome = { organizations: new Set() };
  const members: Member[] = [];
  for await (
    const member of validMembers(
      entries,
      { allowSynthetic: true },
      counts,
      problems,
      outcome,
    )
  ) {
    members.push(member);
  }
  return { members, counts, problems: problems.items, outcome };
}

async function* items(fail?: InputError): AsyncGenerator<MemberEntry> {
  for (const run of runs) yield* run;
  if (fail) throw fail;
}

async function* inRuns(fail?: InputError): AsyncGenerator<MemberEntry[]> {
  yield* runs;
  if (fail) throw fail;
}

Deno.test("validMembers() gives the same members, counts and problems for rows in runs and one by one", async () => {
  const one = await validate(items());
  const many = await validate(batched(inRuns()));
  assert.deepEqual(many, one);
  assert.deepEqual(one.members.map((m) => m.row), [2, 3, 42]);
  assert.deepEqual(one.problems.map((p) => [p.row, p.code]), [
    [39, "end-before-start"],
    [40, "duplicate"],
    [41, "malformed-row"],
    [42, "restored-leading-zero"],
  ]);
  assert.equal(one.counts.read, 6);
  assert.deepEqual([...one.outcome.organizations], ["948554062"]);
});

Deno.test("validMembers() hands on a run's valid members together", async () => {
  const counts = emptyMemberCounts();
  const valid = validMembers(
    batched(inRuns()),
    { allowSynthetic: true },
    counts,
    new ProblemList(),
    { organizations: new Set() },
  );
  const handed: number[][] = [];
  for await (const run of valid.runs()) handed.push(run.map((m) => m.row));
  assert.deepEqual(handed, [[2, 3], [42]]);
});

Deno.test("validMembers() ends with readError when the file cannot be read to its end, keeping what came before", async () => {
  const error = new InputError("malformed-csv", "x.csv: a quote is open", {
    source: "x.csv",
    line: 43,
  });
  const one = await validate(items(error));
  const many = await validate(batched(inRuns(error)));
  assert.deepEqual(many, one);
  assert.equal(one.outcome.readError, error);
  assert.deepEqual(one.members.map((m) => m.row), [2, 3, 42]);
});
