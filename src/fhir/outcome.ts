/**
 * OperationOutcome: building one (the mock's answers) and reading the
 * outcome of each batch-response entry (docs/api-contract.md, step 2).
 *
 * @module
 */

import type {
  BundleEntry,
  Coding,
  OperationOutcome,
  OperationOutcomeIssue,
} from "fhir/r4";
import { scrubServerText } from "../auth/scrub.ts";

/** Code system of Medlemsbro's own outcome codes. */
export const OUTCOME_SYSTEM = "urn:medlemsbro:helsenorge-outcome";

/** Code for a citizen who is not active (has not consented) on Helsenorge. */
export const NOT_CONSENTED_CODE = "not-consented";

/** What a batch-response entry means for the members it carries. */
export type EntryOutcome =
  | { kind: "stored" }
  | { kind: "not-consented"; reason: string }
  | { kind: "invalid"; reason: string }
  | { kind: "failed"; reason: string };

/**
 * An OperationOutcome holding the given issues.
 *
 * @throws {RangeError} when `issues` is empty: OperationOutcome.issue is
 *   1..* in FHIR R4.
 */
export function operationOutcome(
  issues: readonly OperationOutcomeIssue[],
): OperationOutcome {
  if (issues.length === 0) {
    throw new RangeError(
      "Cannot build an OperationOutcome without issues: FHIR R4 requires at least one",
    );
  }
  return { resourceType: "OperationOutcome", issue: [...issues] };
}

/**
 * The issue that tells a member was not stored because the citizen is not
 * active on Helsenorge.
 */
export function notConsentedIssue(
  diagnostics = "The citizen is not active on Helsenorge",
): OperationOutcomeIssue {
  return {
    severity: "error",
    code: "business-rule",
    details: {
      coding: [{ system: OUTCOME_SYSTEM, code: NOT_CONSENTED_CODE }],
      text: diagnostics,
    },
  };
}

/**
 * Classify one entry of a `batch-response` by its `response.status` and
 * `response.outcome`:
 *
 * | status | outcome |
 * | --- | --- |
 * | 2xx | stored |
 * | 4xx with a `business-rule` issue coded not-consented | not-consented |
 * | other 4xx | invalid |
 * | 5xx, missing or unreadable status, anything else | failed (send again) |
 *
 * The reason is the server's text, with every run of 11 digits masked: the
 * server may echo the national id, which must never reach a log or report.
 */
export function readEntryOutcome(entry: BundleEntry): EntryOutcome {
  const statusText = entry.response?.status?.trim() ?? "";
  const match = /^(\d{3})\b/.exec(statusText);
  if (!match) {
    return {
      kind: "failed",
      reason: statusText === ""
        ? "the response entry has no status"
        : `unreadable response status "${scrubServerText(statusText)}"`,
    };
  }

  const status = Number(match[1]);
  if (status >= 200 && status < 300) return { kind: "stored" };

  const outcome = asOperationOutcome(entry.response?.outcome);
  const reason = outcome
    ? describeOperationOutcome(outcome)
    : scrubServerText(statusText);

  if (status >= 400 && status < 500) {
    if (outcome?.issue.some(isNotConsented)) {
      return { kind: "not-consented", reason };
    }
    return { kind: "invalid", reason };
  }
  return { kind: "failed", reason };
}

/**
 * One line for a whole OperationOutcome, for reports and errors: each issue's
 * diagnostics and details text, with the elements it names, issues joined by
 * "; ". Runs of 11 digits (national ids) are masked.
 *
 * @example
 * ```ts
 * describeOperationOutcome(outcome);
 * // "error invalid: Bundle.type must be batch (at Bundle.type)"
 * ```
 */
export function describeOperationOutcome(outcome: OperationOutcome): string {
  const lines = (outcome.issue ?? []).map(describeIssue);
  return lines.length > 0 ? lines.join("; ") : "no issues given";
}

function describeIssue(issue: OperationOutcomeIssue): string {
  const texts = [issue.diagnostics, issue.details?.text]
    .map((text) => text?.trim())
    .filter((text): text is string => Boolean(text));
  const unique = [...new Set(texts)];
  let line = `${issue.severity} ${issue.code}`;
  if (unique.length > 0) line += `: ${unique.join(" - ")}`;
  const where = issue.expression ?? issue.location ?? [];
  if (where.length > 0) line += ` (at ${where.join(", ")})`;
  return scrubServerText(line);
}

function isNotConsented(issue: OperationOutcomeIssue): boolean {
  return issue.code === "business-rule" &&
    (issue.details?.coding ?? []).some((coding: Coding) =>
      coding.system === OUTCOME_SYSTEM && coding.code === NOT_CONSENTED_CODE
    );
}

function asOperationOutcome(value: unknown): OperationOutcome | undefined {
  if (
    typeof value === "object" && value !== null &&
    (value as { resourceType?: unknown }).resourceType === "OperationOutcome" &&
    Array.isArray((value as { issue?: unknown }).issue)
  ) {
    return value as OperationOutcome;
  }
  return undefined;
}
