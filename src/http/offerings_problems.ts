/**
 * The 422 items of an offerings file that fails its check, every problem at
 * once. The schema's uniqueness rules (organization numbers, service ids)
 * run in a zod `superRefine`, which zod skips while any other part of the
 * file is wrong; so they are run again here on the raw JSON, and a file
 * with a missing name and a duplicate service id gets both in one answer.
 * An "Unrecognized keys" issue becomes one item per key, its `field` the
 * key's path.
 *
 * @module
 */

import { parseOrganizationNumber } from "../identifiers/organization_number.ts";
import type { OfferingIssue } from "../input/offerings.ts";
import type { ProblemItem } from "./problem.ts";

const GUID =
  /^(?:urn:uuid:)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
const UNRECOGNIZED = /^Unrecognized keys?: (.+)$/;

/** Every problem of a refused offerings file, by JSON path. */
export function offeringsProblems(
  data: unknown,
  issues: readonly OfferingIssue[],
): ProblemItem[] {
  const items: ProblemItem[] = [];
  for (const issue of issues) {
    const unknown = UNRECOGNIZED.exec(issue.message);
    if (unknown) {
      for (const [, key] of unknown[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
        items.push({
          field: issue.path ? `${issue.path}.${key}` : key,
          reason:
            "unknown key (not in the offerings schema; check the spelling)",
        });
      }
      continue;
    }
    items.push({ field: issue.path || undefined, reason: issue.message });
  }
  const seen = new Set(items.map((item) => `${item.field}|${item.reason}`));
  for (const item of duplicates(data)) {
    if (!seen.has(`${item.field}|${item.reason}`)) items.push(item);
  }
  return items;
}

const list = (value: unknown): unknown[] => Array.isArray(value) ? value : [];
const field = (value: unknown, key: string): unknown =>
  typeof value === "object" && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;

/** The uniqueness rules of the schema, on whatever parts can be read. */
function duplicates(data: unknown): ProblemItem[] {
  const items: ProblemItem[] = [];
  const orgs = new Map<string, number>();
  const services = new Map<string, string>();
  list(field(data, "organizations")).forEach((org, i) => {
    const number = field(org, "organizationNumber");
    const parsed = typeof number === "string" || typeof number === "number"
      ? parseOrganizationNumber(String(number))
      : undefined;
    if (parsed?.ok) {
      const first = orgs.get(parsed.value);
      if (first !== undefined) {
        items.push({
          field: `organizations[${i}].organizationNumber`,
          reason:
            `organization number ${parsed.value} is also used by organizations[${first}]`,
        });
      } else orgs.set(parsed.value, i);
    }
    list(field(org, "services")).forEach((service, j) => {
      const raw = field(service, "id");
      const match = typeof raw === "string" ? GUID.exec(raw.trim()) : null;
      if (!match) return;
      const id = match[1].toLowerCase();
      const at = `organizations[${i}].services[${j}]`;
      const first = services.get(id);
      if (first !== undefined) {
        items.push({
          field: `${at}.id`,
          reason: `service id ${id} is also used by ${first}`,
        });
      } else services.set(id, at);
    });
  });
  return items;
}
