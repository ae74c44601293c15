/**
 * The validation stage of a sync: rows in, valid members out, with every
 * problem and counter recorded on the way.
 *
 * @module
 */

import { type Batched, batched, runsOf } from "../batches/batched.ts";
import { createDuplicateCheck } from "../input/duplicates.ts";
import type { Member, MemberEntry } from "../input/member.ts";
import { InputError } from "../input/problem.ts";
import { memberValidator } from "../input/validate_member.ts";
import type { MemberCounts, ProblemList } from "./report.ts";

/** Rules a row must pass, beyond its own fields. */
export interface MemberRules {
  /** Accept synthetic Test Norge ids (false in production). */
  allowSynthetic: boolean;
  /** End date (`YYYY-MM-DD`) for rows without one; without it such rows are errors. */
  defaultEnd?: string;
}

/** What the stage learned besides the members it yielded. */
export interface ValidationOutcome {
  /** Set when the file could not be read to its end. */
  readError?: InputError;
  /** Organization numbers of the valid members. */
  organizations: Set<string>;
}

/**
 * Validate rows as they stream past and yield the valid members; a member
 * seen twice for the same organization is yielded once.
 *
 * Rows are taken a run at a time when `entries` comes in runs (a CSV
 * chunk's rows, see src/batches/batched.ts), and the valid members of a run
 * are handed on together, so there is no promise per row in between.
 *
 * A file that turns out unreadable part way (a quote never closed, a bad
 * byte after the first 64 KiB) ends the stream normally with `readError`
 * set, so the members read before it are still sent and counted.
 */
export function validMembers(
  entries: AsyncIterable<MemberEntry>,
  rules: MemberRules,
  counts: MemberCounts,
  problems: ProblemList,
  outcome: ValidationOutcome,
): Batched<Member> {
  return batched(validRuns(entries, rules, counts, problems, outcome));
}

async function* validRuns(
  entries: AsyncIterable<MemberEntry>,
  rules: MemberRules,
  counts: MemberCounts,
  problems: ProblemList,
  outcome: ValidationOutcome,
): AsyncGenerator<Member[]> {
  const validate = memberValidator(rules);
  const duplicate = createDuplicateCheck();

  try {
    for await (const run of runsOf(entries)) {
      const valid: Member[] = [];
      for (const entry of run) {
        counts.read++;
        if (entry.problem) {
          counts.invalid++;
          problems.push(entry.problem);
          continue;
        }

        const result = validate(entry.record);
        if (!result.ok) {
          counts.invalid++;
          problems.push(...result.problems);
          continue;
        }

        const { member, warnings } = result;
        const seen = duplicate(member, entry.record.nationalId?.column ?? "");
        if (seen) {
          counts.duplicates++;
          problems.push(seen);
          continue;
        }

        if (warnings.length > 0) {
          counts.warnings++;
          problems.push(...warnings);
        }
        outcome.organizations.add(member.organizationNumber);
        valid.push(member);
      }
      if (valid.length > 0) yield valid;
    }
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    outcome.readError = error;
  }
}
