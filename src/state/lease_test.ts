import assert from "node:assert/strict";
import { acquireLease, releaseLease, renewLease } from "./lease.ts";

const T0 = new Date("2025-03-01T02:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

Deno.test("acquireLease() gives the lease to one holder and tells others who holds it", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const a = await acquireLease(kv, "sync", "a", 60_000, T0);
    assert.ok(a.ok);
    const b = await acquireLease(kv, "sync", "b", 60_000, at(1000));
    assert.deepEqual(b, {
      ok: false,
      heldBy: "a",
      until: "2025-03-01T02:01:00.000Z",
    });
  } finally {
    kv.close();
  }
});

Deno.test("acquireLease() lets two racing holders win once", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const results = await Promise.all(
      ["a", "b", "c", "d"].map((h) => acquireLease(kv, "sync", h, 60_000, T0)),
    );
    assert.equal(results.filter((r) => r.ok).length, 1);
  } finally {
    kv.close();
  }
});

Deno.test("a crashed holder's lease expires; renew and release are the holder's", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    await acquireLease(kv, "sync", "a", 60_000, T0);
    assert.ok((await renewLease(kv, "sync", "a", 60_000, at(30_000))).ok);
    assert.equal(
      (await acquireLease(kv, "sync", "b", 1, at(60_000))).ok,
      false,
    );
    assert.ok((await acquireLease(kv, "sync", "b", 60_000, at(90_001))).ok);
    assert.equal(
      (await renewLease(kv, "sync", "a", 60_000, at(90_002))).ok,
      false,
    );
    assert.equal(await releaseLease(kv, "sync", "a"), false);
    assert.equal(await releaseLease(kv, "sync", "b"), true);
    assert.ok((await acquireLease(kv, "sync", "c", 60_000, at(90_003))).ok);
  } finally {
    kv.close();
  }
});
