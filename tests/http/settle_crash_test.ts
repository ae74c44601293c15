/**
 * A flush that dies while it settles its events (between two of its settle
 * commits, as a killed process would): the next process must end where a
 * whole flush ends. Found by the breaker: a `left` settled in one commit and
 * the `joined` it superseded left for the next, which sent the `joined`
 * again and made the member active once more.
 */
import assert from "node:assert/strict";
import {
  createWebhookHarness,
  joined,
  nationalIds,
  postSigned,
} from "./_harness.ts";

const ORG = "948554062";
const FNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1";

/** Make settle commits fail from the `from`-th on, and every commit after. */
function dieWhileSettling(kv: Deno.Kv, from: number): () => void {
  const atomic = kv.atomic.bind(kv);
  let settles = 0;
  let dead = false;
  kv.atomic = () => {
    const op = atomic();
    let settling = false;
    const remove = op.delete.bind(op);
    op.delete = (key) => {
      if (key[0] === "wh" && key[1] === "pending") settling = true;
      return remove(key);
    };
    const commit = op.commit.bind(op);
    op.commit = () => {
      if (!dead && settling && ++settles >= from) dead = true;
      return dead ? Promise.reject(new Error("killed")) : commit();
    };
    return op;
  };
  return () => kv.atomic = atomic;
}

Deno.test("a flush killed between its settle commits: every member who left stays left, and ended", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/state.sqlite`;
  const env = { MEDLEMSBRO_WEBHOOK_FLUSH_SIZE: "500" };
  const ids = nationalIds(100, 4242);
  const events = [
    ...ids.map((id, i) => joined(`j${i}`, id, { end: "2027-12-31" })),
    ...ids.map((id, i) => ({
      id: `l${i}`,
      type: "left",
      nationalId: id,
      organizationNumber: ORG,
      end: "2026-09-30",
    })),
  ];
  const first = await createWebhookHarness({ path, env });
  const mock = first.mock;
  try {
    for (let i = 0; i < events.length; i += 50) {
      const response = await postSigned(
        first,
        "/webhooks/members",
        events.slice(i, i + 50),
      );
      assert.equal(response.status, 202);
    }
    const revive = dieWhileSettling(first.state.kv, 2);
    await first.service.drain().catch(() => {});
    revive();
  } finally {
    await first.close();
  }

  const second = await createWebhookHarness({ path, mock, env });
  try {
    second.clock.advance(120_000);
    await second.service.drain();
    const ends = new Map<string, number>();
    for (const id of ids) {
      const end = mock.store.find("Patient", id)?.resource.contact?.[0]
        .period?.end ?? "absent";
      ends.set(end, (ends.get(end) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(ends), { "2026-09-30": 100 });
    const records = await second.state.getMembers(ids.map((nationalId) => ({
      nationalId,
      organizationNumber: ORG,
      idSystem: FNR_SYSTEM,
      start: "",
      end: "",
    })));
    assert.deepEqual(
      [...new Set(records.map((r) => `${r?.state.status} ${r?.state.end}`))],
      ["ended 2026-09-30"],
    );
    assert.equal((await second.service.status()).events.pending, 0);
  } finally {
    await second.close();
    await Deno.remove(dir, { recursive: true });
  }
});
