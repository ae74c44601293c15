import assert from "node:assert/strict";
import type { MemberState, MemberStatus } from "./member_state.ts";
import { planMember } from "./plan.ts";

const now = new Date("2025-03-01T02:00:00.000Z");

function state(status: MemberStatus, extra: Partial<MemberState> = {}) {
  return {
    contentHash: "h1",
    status,
    attempts: 1,
    nationalId: "23907640450",
    idSystem: "urn:oid:2.16.578.1.12.4.1.4.1",
    organizationNumber: "948554062",
    start: "2024-01-01",
    end: "2025-12-31",
    masked: "239076*****",
    ...extra,
  } satisfies MemberState;
}

Deno.test("planMember() sends a member it has never seen", () => {
  assert.equal(planMember(undefined, { hash: "h1" }, now), "send");
});

Deno.test("planMember() skips an unchanged stored member, sends a changed one", () => {
  assert.equal(
    planMember(state("stored"), { hash: "h1" }, now),
    "skip-unchanged",
  );
  assert.equal(planMember(state("stored"), { hash: "h2" }, now), "send");
});

Deno.test("planMember() skips an unchanged invalid member until it changes", () => {
  assert.equal(
    planMember(state("invalid"), { hash: "h1" }, now),
    "skip-unchanged",
  );
  assert.equal(planMember(state("invalid"), { hash: "h2" }, now), "send");
});

Deno.test("planMember() retries a not-consented member only when due", () => {
  const later = state("not-consented", {
    nextRetryAt: "2025-03-01T02:00:00.001Z",
  });
  const due = state("not-consented", { nextRetryAt: now.toISOString() });
  assert.equal(planMember(later, { hash: "h1" }, now), "skip-not-due");
  assert.equal(planMember(due, { hash: "h1" }, now), "send");
  assert.equal(planMember(later, { hash: "h2" }, now), "send");
});

Deno.test("planMember() always sends pending and ended members", () => {
  assert.equal(planMember(state("pending"), { hash: "h1" }, now), "send");
  assert.equal(planMember(state("ended"), { hash: "h1" }, now), "send");
});

Deno.test("planMember() sends everything when forced", () => {
  assert.equal(
    planMember(state("stored"), { hash: "h1" }, now, { force: true }),
    "send",
  );
});
