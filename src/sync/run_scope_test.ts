import assert from "node:assert/strict";
import { leaseKey } from "../state/keys.ts";
import type { Lease } from "../state/lease.ts";
import { openStateStore } from "../state/store.ts";
import { ExitCode, type SyncReport } from "./report.ts";
import { busyReport, inRunScope, oneRunLease, takeLease } from "./run_scope.ts";

const T0 = new Date("2026-06-15T08:00:00.000Z");
const now = () => T0;
const report = (): SyncReport => ({
  ...busyReport(T0, "mock", ""),
  exitCode: ExitCode.ok,
});

Deno.test("oneRunLease() gives each run a holder of its own, so a second run of one process is refused", async () => {
  const state = await openStateStore({ path: ":memory:", now });
  try {
    const lease = { holder: "service:4711", name: "sync:mock", ttlMs: 60_000 };
    const first = oneRunLease(lease);
    const second = oneRunLease(lease);
    assert.match(first.holder, /^service:4711:[0-9a-f]{8}$/);
    assert.notEqual(first.holder, second.holder);

    const a = await takeLease(state, first, now);
    assert.ok(a.ok);
    const b = await takeLease(state, second, now);
    assert.deepEqual(b, {
      ok: false,
      heldBy: first.holder,
      until: "2026-06-15T08:01:00.000Z",
    });
    await a.lease.release();
    assert.equal((await state.kv.get(leaseKey("sync:mock"))).value, null);
  } finally {
    state.close();
  }
});

Deno.test("takeLease() renews the lease, notices when it is lost, and then releases nothing of the new holder's", async () => {
  let clock = +T0;
  const state = await openStateStore({ path: ":memory:" });
  try {
    const taken = await takeLease(
      state,
      { holder: "a", name: "sync", ttlMs: 30 },
      () => new Date(clock),
    );
    assert.ok(taken.ok);
    clock += 20;
    await new Promise((resolve) => setTimeout(resolve, 40));
    const renewed = await state.kv.get<Lease>(leaseKey("sync"));
    assert.ok(renewed.value!.expiresAt > new Date(+T0 + 30).toISOString());
    assert.equal(taken.lease.lost, false);

    // The holder stalls past its expiry; another takes the lease.
    clock += 1000;
    assert.ok(
      (await state.acquireLease("sync", "b", 60_000, new Date(clock))).ok,
    );
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(taken.lease.lost, true);
    await taken.lease.release();
    const after = await state.kv.get<Lease>(leaseKey("sync"));
    assert.equal(after.value?.holder, "b");
  } finally {
    state.close();
  }
});

Deno.test("inRunScope() gives its lease up when the run throws, and leaves a held lease to its caller", async () => {
  const state = await openStateStore({ path: ":memory:", now });
  const lease = { holder: "a", name: "sync", ttlMs: 60_000 };
  try {
    await assert.rejects(
      inRunScope(
        { state, lease, now },
        () => Promise.reject(new Error("boom")),
      ),
      /boom/,
    );
    assert.equal((await state.kv.get(leaseKey("sync"))).value, null);

    const taken = await takeLease(state, lease, now);
    assert.ok(taken.ok);
    const done: SyncReport = await inRunScope(
      { state, heldLease: taken.lease, now },
      () => Promise.resolve(report()),
    );
    assert.notEqual(done.exitCode, ExitCode.busy);
    const still = await state.kv.get<Lease>(leaseKey("sync"));
    assert.equal(still.value?.holder, "a", "the caller still holds it");
    // Another run, even one with the same name, is refused meanwhile.
    const refused = await inRunScope(
      { state, lease: { ...lease, holder: "b" }, now },
      () => Promise.resolve(report()),
    );
    assert.equal(refused.exitCode, ExitCode.busy);
    await taken.lease.release();
    assert.equal((await state.kv.get(leaseKey("sync"))).value, null);
  } finally {
    state.close();
  }
});
