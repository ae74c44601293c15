/**
 * Membership dates as exports write them, read as calendar dates.
 *
 * Accepted forms:
 * - `YYYY-MM-DD` (ISO 8601), e.g. `2026-01-31`;
 * - an ISO date-time, e.g. `2026-01-01T00:00:00` or `2026-01-01 00:00:00+01:00`:
 *   the date part is taken as written. No time zone conversion is made, since
 *   a membership starts on a day, not an instant;
 * - `dd.mm.yyyy` and `d.m.yyyy` (Norwegian), e.g. `01.01.2026`, `1.1.2026`;
 * - `dd/mm/yyyy` and `d/m/yyyy` (day first, as in Norway and the UK, never
 *   the US month-first order).
 *
 * Two-digit years are refused as ambiguous. Dates are checked against the
 * calendar (29 February only in leap years) with plain arithmetic, never via
 * `Date`, so the host's time zone cannot move a date.
 *
 * @module
 */

/** The outcome of {@linkcode parseDate}. */
export type DateResult =
  | { ok: true; value: string }
  | { ok: false; reason: string };

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const DAY_FIRST = /^(\d{1,2})([./])(\d{1,2})\2(\d{4})$/;

/**
 * Read a date and return it as `YYYY-MM-DD`.
 *
 * @example
 * ```ts
 * parseDate("1.2.2026");   // { ok: true, value: "2026-02-01" }
 * parseDate("29.02.2026"); // { ok: false, reason: "2026 is not a leap year: ..." }
 * ```
 */
export function parseDate(input: string): DateResult {
  const text = input.trim();
  if (text === "") return { ok: false, reason: "date is missing" };

  let year: number, month: number, day: number;
  const iso = ISO.exec(text);
  const dayFirst = iso ? null : DAY_FIRST.exec(text);
  if (iso) {
    [year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  } else if (dayFirst) {
    [day, month, year] = [
      Number(dayFirst[1]),
      Number(dayFirst[3]),
      Number(dayFirst[4]),
    ];
  } else {
    return {
      ok: false,
      reason:
        "date must be written YYYY-MM-DD or dd.mm.yyyy (also d.m.yyyy or dd/mm/yyyy)",
    };
  }

  if (year < 1800) {
    return { ok: false, reason: `year ${year} is out of range` };
  }
  if (month < 1 || month > 12) {
    return { ok: false, reason: `month ${month} does not exist` };
  }
  const last = daysInMonth(year, month);
  if (day < 1 || day > last) {
    const reason = month === 2 && day === 29
      ? `${year} is not a leap year: February has 28 days`
      : `day ${day} does not exist in month ${month} (it has ${last} days)`;
    return { ok: false, reason };
  }

  return { ok: true, value: formatDate(year, month, day) };
}

/** Whether `year` is a leap year in the Gregorian calendar. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** The number of days in a month (1-12) of a year. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function formatDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${
    String(day).padStart(2, "0")
  }`;
}
