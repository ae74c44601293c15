// Issue 4, must show 4: two syncs started at once on one state store: one
// runs, the other is refused as busy, and no member is sent twice.

import assert from "node:assert/strict";
import type { Bundle } from "fhir/r4";
import { openStateStore } from "../../src/state/store.ts";
import { ExitCode, type SyncReport } from "../../src/sync/report.ts";
import { runSync } from "../../src/sync/sync.ts";
import { readMembers } from "../../src/input/read_members.ts";
import {
  createHarness,
  FIXTURE,
  idsIn,
  memberEntriesReceived,
  SAMPLE_MEMBERS,
  totals,
} from "./_harness.ts";

Deno.test("of two syncs started at once on one store, one runs and the other is busy", async () => {
  const dir = await Deno.makeTempDir({ prefix: "medlemsbro-overlap-" });
  const path = `${dir}/state.sqlite`;
  // Two stores over one file, as two processes would have.
  const storeA = await openStateStore({ path });
  const storeB = await openStateStore({ path });
  const h = await createHarness({ state: storeA });
  try {
    // The first member call waits until the losing run has returned, so
    // the runs truly overlap whatever the scheduling.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    let gated = false;
    const members = async (bundle: Bundle) => {
      if (!gated) {
        gated = true;
        await gate;
      }
      return await h.target.members(bundle);
    };
    const start = async (
      holder: string,
      state: typeof storeA,
    ): Promise<[string, SyncReport]> => {
      const input = await readMembers({ path: FIXTURE });
      const report = await runSync({
        target: { offerings: h.target.offerings, members },
        members: input.entries,
        rules: { allowSynthetic: true },
        state,
        lease: { holder, name: "sync:mock" },
        now: h.clock.now,
        batchSize: 5,
      });
      return [holder, report];
    };

    const runs = [start("run-a", storeA), start("run-b", storeB)];
    const [firstBack] = await Promise.race(runs);
    release();
    const reports = new Map(await Promise.all(runs));

    const busy = [...reports].filter(([, r]) => r.exitCode === ExitCode.busy);
    assert.equal(busy.length, 1, "exactly one run is refused");
    const [busyHolder, refused] = busy[0];
    assert.equal(busyHolder, firstBack, "the refused run returned first");
    const [winner, ran] = [...reports].find(([holder]) =>
      holder !== busyHolder
    )!;
    assert.match(
      refused.stoppedBecause ?? "",
      new RegExp(
        `^another run \\(${winner}\\) is in progress; its lease lasts until \\S+Z\\. Try again later$`,
      ),
    );
    assert.equal(refused.members.read, 0);
    assert.equal(refused.members.batches, 0);

    assert.equal(ran.members.stored, SAMPLE_MEMBERS);
    assert.equal(ran.exitCode, ExitCode.rowsRejected);

    // No member sent twice: the mock received each entry once.
    assert.equal(memberEntriesReceived(h.mock), SAMPLE_MEMBERS);
    const sentIds = h.sent.flatMap(idsIn);
    assert.equal(sentIds.length, SAMPLE_MEMBERS);
    assert.equal(new Set(sentIds).size, SAMPLE_MEMBERS);
    assert.equal((await totals(storeB)).stored, SAMPLE_MEMBERS);

    // The lease was given back: a later run goes ahead and sends nothing.
    const [, later] = await start("run-c", storeB);
    assert.equal(later.members.unchanged, SAMPLE_MEMBERS);
    assert.equal(memberEntriesReceived(h.mock), SAMPLE_MEMBERS);
  } finally {
    h.close();
    storeA.close();
    storeB.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a run keeps a short lease while it works, so a later run is still busy", async () => {
  // Real time here: the lease is renewed by a timer. A 300 ms lease and a
  // run that takes about 900 ms; the second run starts when the first lease
  // term is long over but the first run is still sending.
  const h = await createHarness();
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    let slowed = false;
    const start = async (holder: string) => {
      const input = await readMembers({ path: FIXTURE });
      return await runSync({
        target: {
          offerings: h.target.offerings,
          members: async (bundle) => {
            if (!slowed) {
              slowed = true;
              await wait(900);
            }
            return await h.target.members(bundle);
          },
        },
        members: input.entries,
        rules: { allowSynthetic: true },
        state: h.state,
        lease: { holder, name: "sync:mock", ttlMs: 300 },
      });
    };

    const first = start("run-a");
    await wait(600);
    const second = await start("run-b");
    const ran = await first;

    assert.equal(second.exitCode, ExitCode.busy, second.stoppedBecause);
    assert.equal(ran.stoppedBecause, undefined);
    assert.equal(ran.members.stored, SAMPLE_MEMBERS);
    assert.equal(memberEntriesReceived(h.mock), SAMPLE_MEMBERS);
  } finally {
    h.close();
  }
});
