/**
 * Runs of the webhook service never overlap: flushes, drains, uploads and
 * offerings started at once in one process go one at a time, two processes
 * with the same holder name (two isolates of one Deploy deployment) are kept
 * apart by the KV lease, and a flush holds the lease from its first read to
 * its last settle. Each member reaches the mock once.
 */

import assert from "node:assert/strict";
import type { Bundle, Patient } from "fhir/r4";
import { createMockApp } from "../../mock-helsenorge/app.ts";
import { signRequest } from "../../src/http/hmac_signature.ts";
import { leaseKey } from "../../src/state/keys.ts";
import type { Lease } from "../../src/state/lease.ts";
import {
  createWebhookHarness,
  joined,
  mockTotals,
  nationalIds,
  postSigned,
  SECRET,
  type WebhookHarness,
} from "./_harness.ts";

const OTHER_ORG = "974760673";

/**
 * Counts what reaches the mock: member entries per national id, and the
 * most member calls in flight at once (each call takes a few ms, so
 * overlapping runs show).
 */
class CallCounter {
  perMember = new Map<string, number>();
  inFlight = 0;
  mostInFlight = 0;

  wrap = (f: typeof fetch): typeof fetch => async (input, init) => {
    const body = typeof init?.body === "string" ? init.body : undefined;
    const bundle = body ? JSON.parse(body) as Bundle : undefined;
    const members = bundle?.type === "batch";
    if (members) {
      for (const entry of bundle.entry ?? []) {
        const id = (entry.resource as Patient).identifier?.[0]?.value ?? "";
        this.perMember.set(id, (this.perMember.get(id) ?? 0) + 1);
      }
      this.inFlight++;
      this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    }
    try {
      await new Promise((resolve) => setTimeout(resolve, 3));
      return await f(input, init);
    } finally {
      if (members) this.inFlight--;
    }
  };

  /** National ids sent more than once. */
  repeated(): number {
    return [...this.perMember.values()].filter((n) => n > 1).length;
  }
}

async function upload(h: WebhookHarness, ids: string[]): Promise<string> {
  const rows = ids.map((id) => `${id};${OTHER_ORG};01.01.2026;31.12.2026`);
  const body = new TextEncoder().encode(
    ["Fødselsnummer;Organisasjonsnummer;Medlem fra;Medlem til", ...rows]
      .join("\r\n") + "\r\n",
  );
  const path = "/webhooks/members/full";
  const response = await h.app.request(path, {
    method: "POST",
    body,
    headers: {
      "content-type": "text/csv",
      ...(await signRequest(
        SECRET,
        { method: "POST", path, body },
        h.clock.now(),
      )),
    },
  });
  assert.equal(response.status, 202);
  return (await response.json()).uploadId;
}

async function acceptJoined(h: WebhookHarness, ids: string[]) {
  const events = ids.map((id, i) => joined(`e${i}`, id));
  const response = await postSigned(h, "/webhooks/members", events);
  assert.equal(response.status, 202);
  assert.equal((await response.json()).accepted.length, ids.length);
}

Deno.test("flushes, drains, an upload and offerings started at once run one at a time, and each member is sent once", async () => {
  const counter = new CallCounter();
  const h = await createWebhookHarness({
    wrapFetch: counter.wrap,
    concurrency: 1,
    env: { MEDLEMSBRO_WEBHOOK_FLUSH_SIZE: "10" },
  });
  const events = nationalIds(30);
  const listed = nationalIds(20, 100);
  try {
    await acceptJoined(h, events);
    const uploadId = await upload(h, listed);
    const offerings = JSON.parse(
      await Deno.readTextFile(
        new URL("../../fixtures/helsetilbud.json", import.meta.url),
      ),
    );
    assert.equal(
      (await postSigned(h, "/webhooks/offerings", offerings)).status,
      202,
    );
    h.clock.advance(10_000);

    // What a restart's nudges, redelivered messages and the operator's
    // "send now" can start at once.
    await Promise.all([
      h.service.drain(),
      h.service.handle({ kind: "flush" }),
      h.service.handle({ kind: "upload", id: uploadId }),
      h.service.drain(),
      h.service.handle({ kind: "upload", id: uploadId }),
      h.service.handle({ kind: "offerings" }),
      h.service.handle({ kind: "flush" }),
      h.service.handle({ kind: "upload", id: uploadId }),
      h.service.handle({ kind: "offerings" }),
    ]);

    assert.equal(counter.mostInFlight, 1, "member calls of two runs overlap");
    assert.equal(counter.repeated(), 0, "a member was sent more than once");
    assert.equal(counter.perMember.size, 50);
    assert.equal(mockTotals(h.mock).patients, 50);

    const runs = await h.state.lastRuns(50);
    const triggers = runs.map((r) => r.trigger).sort();
    assert.equal(
      triggers.filter((t) => t === "webhook-full").length,
      1,
      `the upload ran once (runs: ${triggers.join(", ")})`,
    );
    const status = await h.service.status();
    assert.equal(status.events.pending, 0);
    assert.equal(status.uploads.length, 0, "the upload is settled");
    assert.equal(status.offerings?.status, "sent");
    assert.equal(
      h.mock.store.calls().filter((c) => c.step === "offerings").length,
      1,
      "the offerings were sent once",
    );
    assert.equal(
      (await h.state.kv.get(leaseKey("sync:mock"))).value,
      null,
      "the lease is released",
    );
  } finally {
    await h.close();
  }
});

Deno.test("two processes with the same holder name on one store: one flush runs, the other is busy, and each member is sent once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "medlemsbro-overlap-" });
  const path = `${dir}/state.sqlite`;
  const mock = createMockApp({ notConsentedFraction: 0, log: () => {} });
  const counter = new CallCounter();
  // The first member call waits until the other flush has returned, so the
  // two flushes truly overlap whatever the scheduling.
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  let first = true;
  const wrapFetch = (f: typeof fetch): typeof fetch =>
    counter.wrap(async (input, init) => {
      if (first) {
        first = false;
        await held;
      }
      return await f(input, init);
    });
  // Both use the lease holder "test:webhook", as two isolates of one
  // deployment both have `service:<DENO_DEPLOYMENT_ID>`.
  const a = await createWebhookHarness({ path, mock, wrapFetch });
  const b = await createWebhookHarness({ path, mock, wrapFetch });
  const ids = nationalIds(40);
  try {
    await acceptJoined(a, ids);
    a.clock.advance(10_000);
    b.clock.advance(10_000);

    const drains = [a.service.drain(), b.service.drain()];
    await Promise.race(drains);
    release();
    const results = (await Promise.all(drains)).flat();

    assert.equal(
      results.filter((r) => r.busy).length,
      1,
      "one of the two flushes is refused as busy",
    );
    assert.equal(counter.repeated(), 0, "a member was sent more than once");
    assert.equal(counter.perMember.size, 40);
    assert.equal((await a.service.status()).events.pending, 0);

    // The busy one finds nothing left once the other is done.
    await b.service.drain();
    assert.equal(mockTotals(mock).entries, 40);
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a flush holds the lease from its first read to its last settle, under a holder of its own", async () => {
  const h = await createWebhookHarness();
  const ids = nationalIds(12);
  try {
    await acceptJoined(h, ids);
    // `left` events without a start read the stored start before the run.
    h.clock.advance(10_000);
    await h.service.drain();
    const left = ids.slice(0, 4).map((id, i) => ({
      id: `l${i}`,
      type: "left",
      nationalId: id,
      organizationNumber: "948 554 062",
    }));
    assert.equal(
      (await postSigned(h, "/webhooks/members", left)).status,
      202,
    );
    h.clock.advance(10_000);

    const holders: (string | undefined)[] = [];
    const getMembers = h.state.getMembers.bind(h.state);
    h.state.getMembers = async (members) => {
      const lease = await h.state.kv.get<Lease>(leaseKey("sync:mock"));
      holders.push(lease.value?.holder);
      return await getMembers(members);
    };
    const [result] = await h.service.drain();

    assert.equal(result.ended, 4);
    assert.ok(holders.length >= 2, "read before and after the run");
    assert.ok(
      holders.every((holder) => holder === holders[0]),
      `the lease changed hands during the flush: ${holders.join(", ")}`,
    );
    assert.match(holders[0] ?? "", /^test:webhook:\S+$/);
    assert.equal(
      (await h.state.kv.get(leaseKey("sync:mock"))).value,
      null,
      "the lease is released after the flush",
    );
  } finally {
    await h.close();
  }
});
