import assert from "node:assert/strict";
import { MedlemsbroError } from "../errors.ts";
import { contentHash } from "./content_hash.ts";
import { SCHEMA_VERSION, schemaKey } from "./keys.ts";
import type { MemberStatus } from "./member_state.ts";
import { openStateStore, type StateStore } from "./store.ts";
import { testMember } from "./_test_members.ts";

const T0 = new Date("2025-03-01T02:00:00.000Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function withStore(
  fn: (store: StateStore, kv: Deno.Kv) => Promise<void>,
  options: Parameters<typeof openStateStore>[0] = {},
) {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = await openStateStore({ kv, now: () => T0, ...options });
    await fn(store, kv);
  } finally {
    kv.close();
  }
}

async function allKeys(kv: Deno.Kv): Promise<string> {
  const parts: string[] = [];
  for await (const entry of kv.list({ prefix: [] })) {
    parts.push(JSON.stringify(entry.key));
  }
  return parts.join("\n");
}

Deno.test("openStateStore() writes the current schema and refuses a newer one", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    await openStateStore({ kv });
    assert.equal((await kv.get(schemaKey)).value, SCHEMA_VERSION);
    await kv.set(schemaKey, SCHEMA_VERSION + 1);
    await assert.rejects(
      openStateStore({ kv }),
      (e) =>
        e instanceof MedlemsbroError && e.code === "ERR_STATE_SCHEMA_TOO_NEW",
    );
  } finally {
    kv.close();
  }
});

Deno.test("openStateStore() creates the folder of a file store", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = await openStateStore({ path: `${dir}/a/b/state.sqlite` });
    store.close();
    assert.ok((await Deno.stat(`${dir}/a/b/state.sqlite`)).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openStateStore() refuses a different id-key secret", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    await openStateStore({ kv, idKeySecret: new Uint8Array(32).fill(1) });
    await openStateStore({ kv, idKeySecret: new Uint8Array(32).fill(1) });
    for (const idKeySecret of [undefined, new Uint8Array(32).fill(2)]) {
      await assert.rejects(
        openStateStore({ kv, idKeySecret }),
        (e) =>
          e instanceof MedlemsbroError &&
          e.code === "ERR_STATE_ID_KEY_MISMATCH",
      );
    }
  } finally {
    kv.close();
  }
});

Deno.test("with an id-key secret no key holds a national id", async () => {
  await withStore(async (store, kv) => {
    const members = [testMember(1), testMember(2)];
    const planned = await store.planBatch(members, { runId: "r1" });
    await store.markPending(planned);
    await store.recordOutcomes(
      members.map((member) => ({
        member,
        hash: contentHash(member),
        outcome: "not-consented" as const,
      })),
    );
    const keys = await allKeys(kv);
    for (const member of members) {
      assert.ok(!keys.includes(member.nationalId));
    }
    const [stored] = await store.getMembers([members[0]]);
    assert.equal(stored?.state.nationalId, members[0].nationalId);
  }, { idKeySecret: new Uint8Array(32).fill(7) });
});

Deno.test("a member goes new → pending → stored, then is skipped unchanged", async () => {
  await withStore(async (store) => {
    const member = testMember(1);
    let [plan] = await store.planBatch([member]);
    assert.equal(plan.decision, "send");

    const [pending] = await store.markPending([plan]);
    assert.equal(pending.state.status, "pending");
    await store.recordOutcomes([{
      member,
      hash: plan.hash,
      outcome: "stored",
    }]);

    [plan] = await store.planBatch([member]);
    assert.equal(plan.decision, "skip-unchanged");
    assert.equal(plan.existing?.state.status, "stored");
    assert.equal(plan.existing?.state.masked, "100000*****");
    assert.equal(plan.existing?.state.nextRetryAt, undefined);

    [plan] = await store.planBatch([{ ...member, end: "2026-12-31" }]);
    assert.equal(plan.decision, "send");
  });
});

Deno.test("not-consented members are retried daily for 7 days, then weekly", async () => {
  await withStore(async (store) => {
    const member = testMember(1);
    const hash = contentHash(member);
    let now = T0;
    const gaps: number[] = [];
    for (let attempt = 1; attempt <= 9; attempt++) {
      await store.recordOutcomes([{
        member,
        hash,
        outcome: "not-consented",
      }], { now });
      const [plan] = await store.planBatch([member], { now });
      assert.equal(plan.decision, "skip-not-due");
      const next = new Date(plan.existing!.state.nextRetryAt!);
      gaps.push((next.getTime() - now.getTime()) / DAY);
      assert.equal(plan.existing!.state.attempts, attempt);
      now = next;
      const [due] = await store.planBatch([member], { now });
      assert.equal(due.decision, "send");
    }
    assert.deepEqual(gaps, [1, 1, 1, 1, 1, 1, 1, 7, 7]);
  });
});

Deno.test("dueMembers() finds due retries through the index, not later ones", async () => {
  await withStore(async (store) => {
    const members = [0, 1, 2, 3].map((i) => testMember(i));
    await store.recordOutcomes([
      { member: members[0], hash: "a", outcome: "not-consented" },
      { member: members[1], hash: "b", outcome: "failed", reason: "503" },
      { member: members[2], hash: "c", outcome: "stored" },
      { member: members[3], hash: "d", outcome: "invalid", reason: "bad" },
    ]);

    const ids = async (now: Date) => {
      const found: string[] = [];
      for await (const m of store.dueMembers(now)) {
        found.push(m.state.nationalId);
      }
      return found;
    };
    assert.deepEqual(await ids(new Date(T0.getTime() + 4 * 60_000)), []);
    assert.deepEqual(await ids(new Date(T0.getTime() + 5 * 60_000)), [
      members[1].nationalId,
    ]);
    assert.deepEqual(await ids(new Date(T0.getTime() + DAY)), [
      members[1].nationalId,
      members[0].nationalId,
    ]);

    // Storing the failed one removes it from the index in the same write.
    await store.recordOutcomes([
      { member: members[1], hash: "b", outcome: "stored" },
    ]);
    assert.deepEqual(await ids(new Date(T0.getTime() + DAY)), [
      members[0].nationalId,
    ]);
    const [due] = await Array.fromAsync(
      store.dueMembers(new Date(T0.getTime() + DAY)),
    );
    assert.equal(due.state.start, "2024-01-01");
    assert.equal(due.state.idSystem, members[0].idSystem);
  });
});

Deno.test("a run killed after markPending leaves members pending, resent and never stored", async () => {
  await withStore(async (store) => {
    const members = Array.from({ length: 250 }, (_, i) => testMember(i));
    // Run 1: everything marked pending, only the first 100 answers recorded.
    const planned = await store.planBatch(members);
    await store.markPending(planned);
    await store.recordOutcomes(
      planned.slice(0, 100).map((p) => ({
        member: p.member,
        hash: p.hash,
        outcome: "stored" as const,
      })),
    );
    // "Crash". Run 2 resends exactly the 150 without an answer.
    const again = await store.planBatch(members);
    const send = again.filter((p) => p.decision === "send");
    assert.equal(send.length, 150);
    assert.ok(send.every((p) => p.existing?.state.status === "pending"));
    // And the retry job would find them too, 5 minutes later.
    const due = await Array.fromAsync(
      store.dueMembers(new Date(T0.getTime() + 5 * 60_000)),
    );
    assert.equal(due.length, 150);

    const summary = await store.statusSummary();
    assert.equal(summary.organizations["948554062"].stored, 100);
    assert.equal(summary.organizations["948554062"].pending, 150);
  });
});

Deno.test("counters follow every status change", async () => {
  await withStore(async (store) => {
    const outcomes = ["stored", "not-consented", "invalid", "failed"] as const;
    let seed = 42;
    const random = () =>
      (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 6; round++) {
      const members = Array.from(
        { length: 120 },
        (_, i) =>
          testMember(Math.floor(random() * 150), {
            organizationNumber: i % 3 === 0 ? "974760673" : "948554062",
          }),
      );
      const unique = [
        ...new Map(members.map((m) => [m.nationalId + m.organizationNumber, m]))
          .values(),
      ];
      if (round % 2 === 0) {
        await store.markPending(unique.map((member) => ({ member })));
      }
      await store.recordOutcomes(unique.map((member) => ({
        member,
        hash: contentHash(member),
        outcome: outcomes[Math.floor(random() * 4)],
      })));
    }
    const summary = await store.statusSummary();
    const counted: Record<string, Record<MemberStatus, number>> = {};
    for (const org of Object.keys(summary.organizations)) {
      counted[org] = await store.recount(org);
    }
    assert.deepEqual(summary.organizations, counted);
    assert.ok(Object.values(counted["948554062"]).reduce((a, b) => a + b) > 50);
  });
});

Deno.test("membersNotSeenInRun() lists stored members absent from the export; markEnded ends them", async () => {
  await withStore(async (store) => {
    const members = Array.from({ length: 30 }, (_, i) => testMember(i));
    const other = testMember(99, { organizationNumber: "974760673" });
    const first = await store.planBatch([...members, other], { runId: "r1" });
    await store.recordOutcomes(first.map((p) => ({
      member: p.member,
      hash: p.hash,
      outcome: "stored" as const,
    })));

    const present = members.filter((_, i) => i % 3 !== 0);
    await store.planBatch(present, { runId: "r2" });
    const absent = await Array.fromAsync(
      store.membersNotSeenInRun("948554062", "r2"),
    );
    assert.deepEqual(
      absent.map((m) => m.state.nationalId).sort(),
      members.filter((_, i) => i % 3 === 0).map((m) => m.nationalId).sort(),
    );

    await store.markEnded(
      absent.map((member) => ({ member, end: "2025-02-28" })),
    );
    assert.deepEqual(
      await Array.fromAsync(store.membersNotSeenInRun("948554062", "r2")),
      [],
    );
    const [ended] = await store.getMembers([members[0]]);
    assert.equal(ended?.state.status, "ended");
    assert.equal(ended?.state.end, "2025-02-28");
    const [back] = await store.planBatch([members[0]]);
    assert.equal(back.decision, "send");
    const summary = await store.statusSummary();
    assert.equal(summary.organizations["948554062"].ended, 10);
    assert.equal(summary.organizations["948554062"].stored, 20);
  });
});

Deno.test("runs are kept newest first, problems capped and masked", async () => {
  let now = T0;
  await withStore(async (store) => {
    const a = await store.startRun("cli");
    now = new Date(T0.getTime() + HOUR);
    const b = await store.startRun("cron");
    const problems = Array.from({ length: 1500 }, (_, i) => ({
      row: i,
      value: "23907640450",
      reason: "Helsenorge refused 23907640450",
    }));
    await store.finishRun(b, { counts: { read: 1500 }, problems });
    const [last, first] = await store.lastRuns(5);
    assert.equal(last.id, b.id);
    assert.equal(last.status, "finished");
    assert.equal(last.problemCount, 1500);
    assert.equal(first.id, a.id);
    assert.equal(first.status, "running");
    const { runProblems } = await import("./runs.ts");
    const kept = await runProblems(store.kv, b);
    assert.equal(kept.length, 1000);
    assert.equal(kept[0].reason, "Helsenorge refused 239076*****");
    assert.equal(kept[0].value, "239076*****");
  }, { now: () => now });
});

Deno.test("statusSummary() holds no full national id", async () => {
  await withStore(async (store) => {
    const member = testMember(1);
    await store.recordOutcomes([{
      member,
      hash: contentHash(member),
      outcome: "not-consented",
      reason: `citizen ${member.nationalId} not active`,
    }]);
    const summary = await store.statusSummary(new Date(T0.getTime() + DAY));
    assert.equal(summary.due.now, 1);
    assert.ok(!JSON.stringify(summary).includes(member.nationalId));
    const [state] = await store.getMembers([member]);
    assert.equal(state?.state.reason, "citizen 100000***** not active");
  });
});

Deno.test("openStateStore() keeps the file and SQLite's companions owner-only and binds the store to one environment", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/state/test1.sqlite`;
  try {
    const store = await openStateStore({ path, environment: "test1" });
    await store.kv.set(["probe"], "x".repeat(1000));
    for (const suffix of ["", "-wal", "-shm"]) {
      const mode = (await Deno.stat(path + suffix)).mode! & 0o777;
      assert.equal(
        mode,
        0o600,
        `${suffix || "main file"} is ${mode.toString(8)}`,
      );
    }
    assert.equal((await Deno.stat(`${dir}/state`)).mode! & 0o777, 0o700);
    store.close();

    await assert.rejects(
      () => openStateStore({ path, environment: "prod" }),
      (error: Error & { code?: string }) =>
        error.code === "ERR_STATE_ENVIRONMENT" &&
        /tracks members at test1/.test(error.message),
    );
    (await openStateStore({ path, environment: "test1" })).close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("recordOutcomes() counts resends within one run as one attempt for the retry schedule", async () => {
  const now = new Date("2026-12-04T10:00:00Z");
  const store = await openStateStore({ path: ":memory:", now: () => now });
  try {
    const member = testMember(0);
    const failed = {
      member,
      hash: contentHash(member),
      outcome: "failed" as const,
      reason: "HTTP 503",
    };
    for (let i = 0; i < 3; i++) {
      await store.recordOutcomes([failed], { runId: "run-1" });
    }
    let [stored] = await store.getMembers([member]);
    assert.equal(stored?.state.attempts, 1);
    assert.equal(stored?.state.nextRetryAt, "2026-12-04T10:05:00.000Z");

    await store.recordOutcomes([failed], { runId: "run-2" });
    [stored] = await store.getMembers([member]);
    assert.equal(stored?.state.attempts, 2);
    assert.equal(stored?.state.nextRetryAt, "2026-12-04T10:15:00.000Z");
  } finally {
    store.close();
  }
});

Deno.test("recoverInterrupted() re-marks only journaled members the dead run never answered", async () => {
  const store = await openStateStore({ path: ":memory:" });
  try {
    const answered = testMember(1);
    const unanswered = testMember(2);
    const keys = await store.journalBatch("run-a", [answered, unanswered]);
    assert.equal(keys.length, 1);
    // The run recorded one answer, then died before clearing its journal.
    await store.recordOutcomes([{
      member: answered,
      hash: contentHash(answered),
      outcome: "stored",
    }], { runId: "run-a" });

    assert.equal(await store.recoverInterrupted(), 1);
    const [a, b] = await store.getMembers([answered, unanswered]);
    assert.equal(a?.state.status, "stored");
    assert.equal(b?.state.status, "pending");
    assert.equal(await store.recoverInterrupted(), 0, "the entry is gone");
  } finally {
    store.close();
  }
});

Deno.test("openStateStore() says a store busy in another process is a state problem, not a crash", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const locked = new Proxy(kv, {
      get(target, property) {
        if (property === "get") {
          return () => Promise.reject(new TypeError("database is locked"));
        }
        const value = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    await assert.rejects(
      openStateStore({ kv: locked }),
      (e) =>
        e instanceof MedlemsbroError && e.code === "ERR_STATE_OPEN" &&
        /database is locked; is another Medlemsbro process using it/.test(
          e.message,
        ),
    );
  } finally {
    kv.close();
  }
});
