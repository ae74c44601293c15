/**
 * A CI-sized load run (2 000 events, 20 clients) against the service on a
 * real socket: every event ends at the mock, in batches, none lost and none
 * sent twice. The full 10 000 / 50 run is `deno task load` (docs/webhooks.md).
 */

import assert from "node:assert/strict";
import { runLoad } from "./_load.ts";

Deno.test("2 000 events from 20 concurrent clients all reach the mock once, in batches", async () => {
  const figures = await runLoad({
    events: 2000,
    clients: 20,
    timeoutMs: 60_000,
  });
  assert.equal(figures.timedOut, false, JSON.stringify(figures));
  assert.equal(figures.errors, 0);
  assert.equal(figures.acceptedIds, 2000);
  assert.equal(figures.duplicatesAcknowledged, figures.redeliveries * 5);
  assert.equal(figures.mock.patients, 2000);
  assert.equal(figures.mock.entries, 2000, "no member sent twice");
  assert.equal(figures.mock.maxVersion, 1);
  assert.ok(
    figures.mock.calls < 2000 / 10,
    `batched: ${figures.mock.calls} calls`,
  );
});
