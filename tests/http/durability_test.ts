/**
 * Durable acceptance: what got a 202 reaches the mock after a stop and a
 * start, once; failed flushes back off and end in the dead-letter list.
 */

import assert from "node:assert/strict";
import { createMockApp } from "../../mock-helsenorge/app.ts";
import {
  createWebhookHarness,
  joined,
  mockTotals,
  nationalIds,
  postSigned,
} from "./_harness.ts";

Deno.test("events accepted before a stop are all sent after the start, none twice", async () => {
  const dir = await Deno.makeTempDir({ prefix: "medlemsbro-webhook-" });
  const path = `${dir}/state.sqlite`;
  const mock = createMockApp({ notConsentedFraction: 0, log: () => {} });
  const ids = nationalIds(250);
  try {
    // First life: accept, then stop before any flush.
    const first = await createWebhookHarness({ path, mock });
    const accepted: string[] = [];
    for (let i = 0; i < ids.length; i += 50) {
      const events = ids.slice(i, i + 50).map((id, k) =>
        joined(`e${i + k}`, id)
      );
      const response = await postSigned(first, "/webhooks/members", events);
      assert.equal(response.status, 202);
      accepted.push(...(await response.json()).accepted);
    }
    assert.equal(accepted.length, 250);
    assert.equal(mockTotals(mock).entries, 0, "nothing sent before the stop");
    await first.close();

    // Second life on the same file: a redelivery is still a duplicate,
    // and a flush sends every accepted event.
    const second = await createWebhookHarness({ path, mock });
    try {
      second.clock.advance(1000);
      const redelivered = await postSigned(second, "/webhooks/members", [
        joined("e0", ids[0]),
      ]);
      assert.deepEqual((await redelivered.json()).duplicates, ["e0"]);
      await second.service.drain();
      assert.deepEqual(mockTotals(mock), {
        patients: 250,
        entries: 250,
        calls: 2,
      });
      for (const id of ids) {
        assert.equal(mock.store.find("Patient", id)?.versionId, 1);
      }
      assert.equal((await second.service.status()).events.pending, 0);
      // A second drain finds nothing to send.
      await second.service.drain();
      assert.equal(mockTotals(mock).entries, 250);
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a stop during a flush (answer lost) resends after the start, and the mock ends with each member once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "medlemsbro-webhook-" });
  const path = `${dir}/state.sqlite`;
  const mock = createMockApp({ notConsentedFraction: 0, log: () => {} });
  const ids = nationalIds(20);
  try {
    // The call reaches the mock, but the answer is lost (the process dies).
    const first = await createWebhookHarness({
      path,
      mock,
      wrapFetch: (f) => async (input, init) => {
        await f(input, init);
        throw new TypeError("connection reset");
      },
    });
    await postSigned(
      first,
      "/webhooks/members",
      ids.map((id, i) => joined(`e${i}`, id)),
    );
    const [result] = await first.service.drain();
    assert.equal(result.retried, 20);
    await first.close();

    const second = await createWebhookHarness({ path, mock });
    try {
      second.clock.advance(60_000);
      await second.service.drain();
      assert.equal(mockTotals(mock).patients, 20);
      // Sent twice (once unanswered), stored as one version of the same content.
      for (const id of ids) {
        assert.equal(
          mock.store.find("Patient", id)?.resource.contact?.[0].period?.end,
          "2026-12-31",
        );
      }
      assert.equal((await second.service.status()).events.pending, 0);
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** An event id holding a run of 11 digits (a national id pasted in). */
const DIGIT_ID = "evt-23907640450";

Deno.test("failing flushes back off, then the event lands in the dead-letter list that /status shows", async () => {
  let failing = true;
  const h = await createWebhookHarness({
    env: { MEDLEMSBRO_WEBHOOK_MAX_ATTEMPTS: "3" },
    wrapFetch: (f) => (input, init) =>
      failing
        ? Promise.resolve(new Response("down", { status: 503 }))
        : f(input, init),
  });
  try {
    const [a, b] = nationalIds(2);
    await postSigned(h, "/webhooks/members", [joined(DIGIT_ID, a)]);
    const [first] = await h.service.drain();
    assert.equal(first.retried, 1);

    // Not due yet: the back-off (1 s, then 2 s) holds it.
    const [early] = await h.service.drain();
    assert.equal(early.sent, 0);
    h.clock.advance(1000);
    assert.equal((await h.service.drain())[0].retried, 1);
    h.clock.advance(2000);
    assert.equal((await h.service.drain())[0].dead, 1);

    const status = await h.app.request("/status", {
      headers: { authorization: "Bearer bearer-token-0123456789abcdef" },
    });
    const body = await status.json();
    assert.deepEqual(body.events, { pending: 0, dead: 1 });
    assert.equal(
      body.deadLetters[0].id,
      "evt-239076*****",
      "digit runs masked",
    );
    assert.equal(body.deadLetters[0].attempts, 3);
    assert.equal(body.deadLetters[0].nationalId, a.slice(0, 6) + "*****");
    assert.ok(!JSON.stringify(body).includes(a));
    assert.ok(!JSON.stringify(body).includes("23907640450"));

    // A redelivery of a dead event is only acknowledged.
    failing = false;
    h.clock.advance(1000);
    const again = await postSigned(h, "/webhooks/members", [
      joined(DIGIT_ID, a),
      joined("e2", b),
    ]);
    assert.deepEqual((await again.json()).duplicates, ["evt-239076*****"]);
    await h.service.drain();
    assert.equal(mockTotals(h.mock).patients, 1);
  } finally {
    await h.close();
  }
});
