import type { MemberRef } from "./member_state.ts";

/** Synthetic-looking 11-digit ids; the store never checks check digits. */
export function testMember(i: number, extra: Partial<MemberRef> = {}) {
  return {
    nationalId: String(10_000_000_000 + i * 7919),
    idSystem: "urn:oid:2.16.578.1.12.4.1.4.1",
    organizationNumber: "948554062",
    start: "2024-01-01",
    end: "2025-12-31",
    row: i + 2,
    ...extra,
  } satisfies MemberRef;
}
