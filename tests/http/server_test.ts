/**
 * The app on a real socket (Deno.serve on 127.0.0.1) with the KV queue
 * consumer running: refusals over the wire, and accepted events flushed by
 * `kv.listenQueue` without any test-side flush.
 */

import assert from "node:assert/strict";
import { signRequest } from "../../src/http/hmac_signature.ts";
import {
  createWebhookHarness,
  joined,
  mockTotals,
  nationalIds,
  OLD_SECRET,
  SECRET,
} from "./_harness.ts";

Deno.test("over a real socket: refusals, then accepted events flushed by the queue consumer", async () => {
  const h = await createWebhookHarness({
    realClock: true,
    env: {
      MEDLEMSBRO_WEBHOOK_FLUSH_AGE_MS: "100",
      MEDLEMSBRO_WEBHOOK_LIMIT_EVENTS: "4096",
    },
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    h.app.fetch,
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  const sign = (body: string, at = new Date(), secret = SECRET) =>
    signRequest(
      secret,
      { method: "POST", path: "/webhooks/members", body },
      at,
    );
  const post = async (
    body: string,
    headers: Record<string, string>,
    path = "/webhooks/members",
  ) => {
    const response = await fetch(url + path, { method: "POST", body, headers });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get("content-type"),
      text,
    };
  };
  const json = { "content-type": "application/json" };

  try {
    await h.service.listen();
    const ids = nationalIds(12);
    const body = JSON.stringify(
      ids.slice(0, 10).map((id, i) => joined(`s${i}`, id)),
    );

    const badSignature = await post(body, {
      ...json,
      ...(await sign(body, new Date(), "not-the-secret-0123456789abcdef")),
    });
    assert.equal(badSignature.status, 401);
    assert.equal(badSignature.type, "application/problem+json");

    const stale = await post(body, {
      ...json,
      ...(await sign(body, new Date(Date.now() - 600_000))),
    });
    assert.equal(stale.status, 401);

    const wrongType = await post(body, {
      "content-type": "text/csv",
      ...(await sign(body)),
    });
    assert.equal(wrongType.status, 415);

    const big = JSON.stringify(
      ids.map((id, i) => joined(`big${i}`, id, { note: "x".repeat(400) })),
    );
    const oversized = await post(big, {
      ...json,
      ...(await sign(big)),
    });
    assert.equal(oversized.status, 413);

    const malformed = "[{";
    const bad = await post(malformed, {
      ...json,
      ...(await sign(malformed)),
    });
    assert.equal(bad.status, 400);

    const headers = {
      ...json,
      ...(await sign(body, new Date(), OLD_SECRET)),
    };
    const accepted = await post(body, headers);
    assert.equal(accepted.status, 202, accepted.text);
    assert.equal(JSON.parse(accepted.text).accepted.length, 10);
    const replayed = await post(body, headers);
    assert.equal(replayed.status, 409);

    // The consumer flushes on the age limit; wait for it, bounded.
    const deadline = Date.now() + 10_000;
    while (mockTotals(h.mock).patients < 10 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.deepEqual(mockTotals(h.mock), {
      patients: 10,
      entries: 10,
      calls: 1,
    });
    for (const id of ids) assert.ok(!h.logs.join("\n").includes(id));
  } finally {
    await server.shutdown();
    await h.close();
  }
});
