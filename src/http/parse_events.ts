/**
 * Membership events from a request body: each one checked against
 * {@linkcode memberEventSchema} and then by the same rules as an export row
 * (`validateMember`), its row being its 1-based position in the request.
 * Good events come back normalized; every bad one is listed with its
 * position, field and reason, national ids masked.
 *
 * A `left` event needs no start (the member's stored start is used) and no
 * end (today, at flush time, is used); what it has is still checked.
 *
 * @module
 */

import { maskIdsInText } from "../identifiers/mask.ts";
import type { MemberRecord } from "../input/member.ts";
import { validateMember } from "../input/validate_member.ts";
import type { MembershipEvent } from "../service/event_store.ts";
import type { MemberRules } from "../sync/valid_members.ts";
import type { ProblemItem } from "./problem.ts";
import { EVENT_ID, memberEventSchema } from "./schemas.ts";

/** Events per request. */
export const MAX_EVENTS = 1000;

export interface ParsedEvents {
  events: MembershipEvent[];
  /** Each good event's 1-based position in the request, as `events`. */
  positions: number[];
  /** Bad events; ids shown only when they pass the id rule, masked. */
  refused: ProblemItem[];
  /** The body was neither an event nor an array of them. */
  notEvents?: string;
}

export function parseEvents(
  body: unknown,
  rules: MemberRules,
  today: string,
): ParsedEvents {
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) {
    return {
      events: [],
      positions: [],
      refused: [],
      notEvents: "the array holds no events",
    };
  }
  if (items.length > MAX_EVENTS) {
    return {
      events: [],
      positions: [],
      refused: [],
      notEvents: `${items.length} events in one request; at most ${MAX_EVENTS}`,
    };
  }
  if (!Array.isArray(body) && (typeof body !== "object" || body === null)) {
    return {
      events: [],
      positions: [],
      refused: [],
      notEvents: "the body must be an event object or an array of events",
    };
  }

  const events: MembershipEvent[] = [];
  const positions: number[] = [];
  const refused: ProblemItem[] = [];
  items.forEach((item, index) => {
    const position = index + 1;
    const rawId = (item as { id?: unknown } | null)?.id;
    // An id that breaks the rule (control characters, U+202E, ...) is never
    // echoed; one that passes is shown with its digit runs masked.
    const id = typeof rawId === "string" && EVENT_ID.test(rawId)
      ? maskIdsInText(rawId)
      : undefined;
    const parsed = memberEventSchema.safeParse(item);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        refused.push({
          position,
          id,
          field: issue.path.join(".") || undefined,
          reason: maskIdsInText(issue.message),
        });
      }
      return;
    }

    const event = parsed.data;
    const left = event.type === "left";
    const cell = (value: string | undefined, column: string) =>
      value === undefined ? undefined : { value, column };
    // A `left` event's missing dates are filled at flush time; for the
    // check, stand-ins that pass keep the other rules meaningful.
    const end = event.end ?? (left ? event.start ?? today : undefined);
    const record: MemberRecord = {
      row: position,
      nationalId: cell(event.nationalId, "nationalId"),
      organizationNumber: cell(event.organizationNumber, "organizationNumber"),
      start: cell(event.start ?? (left ? end : undefined), "start"),
      end: cell(end, "end"),
    };
    const result = validateMember(record, rules);
    if (!result.ok) {
      for (const problem of result.problems) {
        if (problem.severity !== "error") continue;
        refused.push({
          position,
          id,
          field: problem.column,
          reason: problem.value
            ? `${problem.reason} (${problem.value})`
            : problem.reason,
        });
      }
      return;
    }
    const { member } = result;
    positions.push(position);
    events.push({
      id: event.id,
      type: event.type,
      nationalId: member.nationalId,
      idSystem: member.idSystem,
      organizationNumber: member.organizationNumber,
      start: event.start === undefined ? undefined : member.start,
      end: event.end === undefined && !(rules.defaultEnd && !left)
        ? undefined
        : member.end,
    });
  });
  return { events, positions, refused };
}
