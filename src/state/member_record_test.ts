import assert from "node:assert/strict";
import { D_NUMMER_SYSTEM } from "../identifiers/systems.ts";
import { decodeBasis, decodeMember, encodeMember } from "./member_record.ts";
import type { MemberState } from "./member_state.ts";

const ORG = "948554062";

const full: MemberState = {
  nationalId: "41018012345",
  idSystem: D_NUMMER_SYSTEM,
  organizationNumber: ORG,
  start: "2024-01-01",
  end: "2026-12-31",
  row: 17,
  masked: "410180*****",
  contentHash: "9e8bbb936c929e09",
  status: "not-consented",
  lastOutcome: "not-consented",
  reason: "the citizen 410180***** is not active",
  attempts: 3,
  lastAttemptAt: "2025-03-01T02:00:00.000Z",
  nextRetryAt: "2025-03-02T02:00:00.000Z",
  lastRunId: "0a1b2c3d-run",
};

Deno.test("a member's state comes back from its record field for field", () => {
  const record = encodeMember(full);
  assert.deepEqual(decodeMember(structuredClone(record), ORG), full);
  assert.equal(JSON.parse(record).length, 14);
  assert.ok(!record.includes(ORG), "the key holds the organization");
});

Deno.test("absent fields stay absent, and ended members keep their end time", () => {
  const { row: _r, lastOutcome: _o, reason: _e, nextRetryAt: _n, ...bare } =
    full;
  const ended: MemberState = {
    ...bare,
    status: "ended",
    endedAt: "2025-03-03T00:00:00.000Z",
  };
  const back = decodeMember(encodeMember(ended), ORG);
  assert.deepEqual(back, ended);
  assert.ok(!("row" in back) && !("nextRetryAt" in back));
});

Deno.test("values this code has no code for are kept as text", () => {
  const odd = {
    ...full,
    idSystem: "urn:oid:2.16.578.1.12.4.1.4.3",
    status: "archived" as MemberState["status"],
    lastAttemptAt: "2025-03-01T02:00:00Z", // not toISOString's form
  };
  assert.deepEqual(decodeMember(encodeMember(odd), ORG), odd);
});

Deno.test("the basis is what the full decode gives for its fields", () => {
  const basis = decodeBasis(encodeMember(full));
  assert.deepEqual(basis, {
    contentHash: full.contentHash,
    status: full.status,
    lastOutcome: full.lastOutcome,
    attempts: full.attempts,
    nextRetryAt: full.nextRetryAt,
    lastRunId: full.lastRunId,
    row: full.row,
  });
});

Deno.test("a schema 1 object is read as it is", () => {
  assert.equal(decodeMember(full, ORG), full);
  assert.equal(decodeBasis(full).contentHash, full.contentHash);
});
