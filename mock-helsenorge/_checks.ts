// Small shape checks shared by the offerings and members validators. Input is
// whatever a client sent, so everything starts as `unknown`.

import type { Problem } from "./outcome.ts";

/** A plain JSON object. */
export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.trim().length > 0;
}

/** A conditional-update URL, `Type?identifier=system|value`. */
export interface ConditionalUrl {
  type: string;
  system: string;
  value: string;
}

/**
 * Read `Type?identifier=system|value` (FHIR R4 §3.1.0.8.5, conditional
 * update; the query may be percent-encoded). Returns a reason when it is not
 * exactly that shape.
 */
export function parseConditionalUrl(
  url: string,
): { ok: true; url: ConditionalUrl } | { ok: false; reason: string } {
  const shape = "must be a conditional update 'Type?identifier=system|value'";
  const question = url.indexOf("?");
  if (question <= 0) return { ok: false, reason: shape };

  const type = url.slice(0, question);
  if (!/^[A-Z][A-Za-z]+$/.test(type)) return { ok: false, reason: shape };
  const query = url.slice(question + 1);
  let token = identifierParameter(query);
  if (token === undefined) {
    let params: URLSearchParams;
    try {
      params = new URLSearchParams(query);
    } catch {
      return { ok: false, reason: shape };
    }
    const keys = [...params.keys()];
    if (keys.length !== 1 || keys[0] !== "identifier") {
      return {
        ok: false,
        reason: `${shape}, with 'identifier' as its only parameter`,
      };
    }
    token = params.get("identifier") ?? "";
  }
  const bar = token.indexOf("|");
  if (bar <= 0 || bar === token.length - 1) {
    return {
      ok: false,
      reason: `${shape}: the identifier needs both system and value`,
    };
  }
  return {
    ok: true,
    url: { type, system: token.slice(0, bar), value: token.slice(bar + 1) },
  };
}

const IDENTIFIER = "identifier=";

/**
 * The decoded value of a query that is just `identifier=...` in the plain
 * form clients send, or undefined for `URLSearchParams` to read (~1.3 us an
 * entry, where this takes ~0.4 us). The value is read as
 * `URLSearchParams` would: with no `&` or `+` in it and no lone surrogate,
 * form-urlencoded decoding is `decodeURIComponent`, which throws (and so
 * leaves the query to `URLSearchParams`) on a stray `%` or bytes that are
 * not UTF-8, where the form decoder keeps or replaces them.
 */
function identifierParameter(query: string): string | undefined {
  if (!query.startsWith(IDENTIFIER)) return undefined;
  const value = query.slice(IDENTIFIER.length);
  if (
    value.includes("&") || value.includes("+") || !value.isWellFormed()
  ) {
    return undefined;
  }
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Collects problems; `add` keeps call sites short. */
export class Problems {
  readonly list: Problem[] = [];

  add(code: Problem["code"], expression: string, diagnostics: string): void {
    this.list.push({ code, expression, diagnostics });
  }

  get size(): number {
    return this.list.length;
  }
}

/** A value shown in a diagnostic: short, and on one line. */
export function show(value: unknown): string {
  const text = typeof value === "string"
    ? value
    : JSON.stringify(value) ?? String(value);
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 60 ? `'${flat.slice(0, 57)}...'` : `'${flat}'`;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2})))?$/;

/**
 * Check a FHIR `date` or `dateTime` that holds at least a full day
 * (`2026-01-01`, or with time and zone). Partial dates (`2026`, `2026-01`)
 * are valid FHIR but too vague for a membership period, so they are refused.
 */
export function isFullDate(value: string): boolean {
  if (value.length === 10) return isDay(value);
  const match = DATE_TIME.exec(value);
  if (match === null) return false;
  const [year, month, day] = [1, 2, 3].map((i) => Number(match[i]));
  const date = new Date(Date.UTC(year, month - 1, day));
  if (
    date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  ) {
    return false;
  }
  if (match[4] !== undefined) {
    if (
      Number(match[4]) > 23 || Number(match[5]) > 59 || Number(match[6]) > 59
    ) {
      return false;
    }
    if (
      match[7] !== undefined && (Number(match[7]) > 14 || Number(match[8]) > 59)
    ) {
      return false;
    }
  }
  return true;
}

/**
 * Whether `value` is exactly `YYYY-MM-DD` and a day of the calendar, as
 * {@linkcode isFullDate} decides it with `Date.UTC` (which reads years 0 to
 * 99 as 1900 to 1999, so those never match), without the regular expression
 * and the `Date`: the members call checks two dates a member.
 */
function isDay(value: string): boolean {
  if (value.charCodeAt(4) !== 0x2d || value.charCodeAt(7) !== 0x2d) {
    return false;
  }
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 7);
  const day = digits(value, 8, 10);
  if (year < 100 || month < 1 || month > 12 || day < 1) return false;
  if (month === 2) {
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    return day <= (leap ? 29 : 28);
  }
  return day <=
    (month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31);
}

/** The ASCII digits `value[from..to)` as a number, or -1 if any is not one. */
function digits(value: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Whether `end` lies before `start` (both passed {@linkcode isFullDate}).
 * Days are compared first; times only when both carry one.
 */
export function endsBeforeStart(start: string, end: string): boolean {
  const startDay = start.slice(0, 10);
  const endDay = end.slice(0, 10);
  if (endDay !== startDay) return endDay < startDay;
  if (start.length > 10 && end.length > 10) {
    return Date.parse(end) < Date.parse(start);
  }
  return false;
}
