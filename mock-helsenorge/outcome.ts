/**
 * FHIR `OperationOutcome` answers and the one error type the mock throws.
 *
 * Every error the mock gives, FHIR or not (404 route, 405 method, a bad
 * `/_mock/config` body), is an `OperationOutcome`, so a client needs one
 * parser for all of them (docs/api-contract.md).
 *
 * @module
 */

import type { Coding, OperationOutcome, OperationOutcomeIssue } from "fhir/r4";
import { maskIdsInText } from "../src/identifiers/mask.ts";

/** The issue codes the mock uses (a subset of FHIR R4 `issue-type`). */
export type IssueCode =
  | "required"
  | "value"
  | "invalid"
  | "structure"
  | "business-rule"
  | "not-found"
  | "not-supported"
  | "too-costly"
  | "security"
  | "exception"
  | "transient"
  | "throttled";

/** The coding that marks a member who has not consented to Helsenorge. */
export const NOT_CONSENTED_CODING = {
  system: "urn:medlemsbro:helsenorge-outcome",
  code: "not-consented",
  display: "The citizen is not active on Helsenorge",
} as const;

/** One problem, before it becomes an `OperationOutcomeIssue`. */
export interface Problem {
  code: IssueCode;
  /** FHIRPath of the failing element, e.g. `Bundle.entry[2].resource.name`. */
  expression?: string;
  /** Plain English; must never hold a full national id. */
  diagnostics: string;
  /** A machine-readable reason, e.g. {@linkcode NOT_CONSENTED_CODING}. */
  coding?: Coding;
}

/** Build an `OperationOutcome` with one error issue per problem. */
export function operationOutcome(
  problems: readonly Problem[],
): OperationOutcome {
  return {
    resourceType: "OperationOutcome",
    issue: problems.map(toIssue),
  };
}

function toIssue(problem: Problem): OperationOutcomeIssue {
  const issue: OperationOutcomeIssue = {
    severity: "error",
    code: problem.code,
    diagnostics: scrubNationalIds(problem.diagnostics),
  };
  if (problem.coding !== undefined) {
    issue.details = { coding: [{ ...problem.coding }] };
  }
  if (problem.expression !== undefined) {
    issue.expression = [problem.expression];
  }
  return issue;
}

/**
 * A failure the mock answers with an HTTP status and an `OperationOutcome`;
 * Hono's `onError` in app.ts turns it into the response.
 */
export class MockHttpError extends Error {
  /** The HTTP status to answer with. */
  readonly status: number;
  /** The problems to list in the `OperationOutcome`. */
  readonly problems: readonly Problem[];
  /** Extra response headers, e.g. `Allow` on a 405. */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    problems: readonly Problem[],
    headers: Record<string, string> = {},
  ) {
    super(problems.map((p) => p.diagnostics).join("; "));
    this.name = "MockHttpError";
    this.status = status;
    this.problems = problems;
    this.headers = headers;
  }
}

/**
 * Mask anything that looks like a national id (a run of exactly 11 digits)
 * in free text. A safety net under the rule that diagnostics and log lines
 * never show a full id; code still masks on purpose where it names one.
 */
export function scrubNationalIds(text: string): string {
  return maskIdsInText(text);
}
