import assert from "node:assert/strict";
import { daysInMonth, isLeapYear, parseDate } from "./dates.ts";

Deno.test("parseDate() reads ISO dates", () => {
  assert.deepEqual(parseDate("2026-01-31"), { ok: true, value: "2026-01-31" });
  assert.deepEqual(parseDate(" 2026-12-01 "), {
    ok: true,
    value: "2026-12-01",
  });
});

Deno.test("parseDate() takes the date part of an ISO date-time, without shifting zones", () => {
  assert.deepEqual(parseDate("2026-01-01T00:00:00"), {
    ok: true,
    value: "2026-01-01",
  });
  assert.deepEqual(parseDate("2026-01-01T23:30:00Z"), {
    ok: true,
    value: "2026-01-01",
  });
  assert.deepEqual(parseDate("2026-01-01 00:00:00+01:00"), {
    ok: true,
    value: "2026-01-01",
  });
  assert.deepEqual(parseDate("2026-01-01T00:00:00.000"), {
    ok: true,
    value: "2026-01-01",
  });
});

Deno.test("parseDate() reads dd.mm.yyyy, d.m.yyyy and dd/mm/yyyy day first", () => {
  assert.deepEqual(parseDate("31.12.2026"), { ok: true, value: "2026-12-31" });
  assert.deepEqual(parseDate("1.2.2026"), { ok: true, value: "2026-02-01" });
  assert.deepEqual(parseDate("05/03/2026"), { ok: true, value: "2026-03-05" });
});

Deno.test("parseDate() accepts 29.02 only in leap years", () => {
  assert.deepEqual(parseDate("29.02.2028"), { ok: true, value: "2028-02-29" });
  assert.deepEqual(parseDate("2000-02-29"), { ok: true, value: "2000-02-29" });
  const bad = parseDate("29.02.2026");
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.reason : "", /2026 is not a leap year/);
  assert.equal(parseDate("1900-02-29").ok, false);
});

Deno.test("parseDate() refuses impossible and ambiguous dates", () => {
  for (
    const text of [
      "",
      "31.04.2026",
      "2026-13-01",
      "00.01.2026",
      "01.01.26",
      "2026/01/01",
      "01.01-2026",
      "12/31/2026",
      "tomorrow",
      "46023",
    ]
  ) {
    assert.equal(parseDate(text).ok, false, text);
  }
});

Deno.test("isLeapYear() and daysInMonth() follow the Gregorian calendar", () => {
  assert.equal(isLeapYear(2024), true);
  assert.equal(isLeapYear(2100), false);
  assert.equal(isLeapYear(2400), true);
  assert.equal(daysInMonth(2026, 4), 30);
  assert.equal(daysInMonth(2026, 12), 31);
});
