// The mock's consent rule (mock-helsenorge/consent.ts): explicit list, then
// HMAC-SHA256(consentKey, id) as a 32-bit fraction below notConsentedFraction.

import assert from "node:assert/strict";
import { createMockApp } from "../../mock-helsenorge/app.ts";
import { consentScore } from "../../mock-helsenorge/consent.ts";
import {
  DNR,
  FNR,
  KARI,
  memberEntry,
  membersBatch,
  OLA,
  PER,
  post,
} from "./_bundles.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** The valid national ids of fixtures/medlemmer-eksport.csv. */
async function fixtureIds(): Promise<string[]> {
  const text = await Deno.readTextFile(
    new URL("../../fixtures/medlemmer-eksport.csv", import.meta.url),
  );
  const ids = text.split("\n").slice(1).map((line) =>
    line.split(";")[0].trim()
  );
  return [
    ...new Set(ids.filter((id) => /^\d{11}$/.test(id) && id !== "01927043715")),
  ];
}

/** The rule written again, independently of the mock's code. */
async function expectedScore(key: string, id: string): Promise<number> {
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", cryptoKey, new TextEncoder().encode(id)),
  );
  const word = ((mac[0] << 24) | (mac[1] << 16) | (mac[2] << 8) | mac[3]) >>> 0;
  return word / 2 ** 32;
}

/** Send each id as its own member and say which were answered 422. */
async function notConsentedOf(
  app: Json,
  ids: string[],
): Promise<string[]> {
  const entries = ids.map((id) =>
    memberEntry(id, /^[4-7]/.test(id) ? DNR : FNR)
  );
  const { body } = await post(app, membersBatch(entries));
  return ids.filter((_, i) => body.entry[i].response.status.startsWith("422"));
}

Deno.test("consent: the score is HMAC-SHA256 read as a big-endian 32-bit fraction", async () => {
  for (const id of await fixtureIds()) {
    assert.equal(
      consentScore("medlemsbro-mock", id),
      await expectedScore("medlemsbro-mock", id),
    );
  }
});

Deno.test("consent: the fraction rule decides exactly the ids scoring below it", async () => {
  const ids = await fixtureIds();
  const { app } = createMockApp({
    notConsentedFraction: 0.5,
    consentKey: "test-key",
    log: () => {},
  });
  const expected: string[] = [];
  for (const id of ids) {
    if ((await expectedScore("test-key", id)) < 0.5) expected.push(id);
  }

  assert.deepEqual(await notConsentedOf(app, ids), expected);
  assert.ok(expected.length > 5 && expected.length < ids.length - 5);
});

Deno.test("consent: the demo defaults (0.1, 'medlemsbro-mock') pick the same ids every run", async () => {
  const { app } = createMockApp({ log: () => {} });
  assert.deepEqual(await notConsentedOf(app, await fixtureIds()), [
    "11853718205",
    "13869008081",
    "05841860235",
    "03826517734",
    "24858117182",
  ]);
  // 26896431381 scores 0.10003..., just above the line, so it is consented.
});

Deno.test("consent: fraction 0 consents everyone, fraction 1 no one", async () => {
  const ids = await fixtureIds();
  const none = createMockApp({ notConsentedFraction: 0, log: () => {} });
  assert.deepEqual(await notConsentedOf(none.app, ids), []);
  const all = createMockApp({ notConsentedFraction: 1, log: () => {} });
  assert.deepEqual(await notConsentedOf(all.app, ids), ids);
});

Deno.test("consent: the explicit list applies on top of the fraction", async () => {
  const { app } = createMockApp({
    notConsentedFraction: 0,
    notConsented: [OLA, PER],
    log: () => {},
  });
  assert.deepEqual(await notConsentedOf(app, [KARI, OLA, PER]), [OLA, PER]);
});

Deno.test("consent: POST /_mock/config changes the rule at run time", async () => {
  const { app } = createMockApp({ notConsentedFraction: 0, log: () => {} });
  assert.deepEqual(await notConsentedOf(app, [KARI, OLA]), []);

  const response = await app.request("/_mock/config", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ notConsented: [KARI] }),
  });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), {
    production: false,
    notConsentedFraction: 0,
    consentKey: "medlemsbro-mock",
    notConsentedCount: 1,
  });
  assert.deepEqual(await notConsentedOf(app, [KARI, OLA]), [KARI]);

  await app.request("/_mock/config", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      notConsented: [],
      notConsentedFraction: 1,
      consentKey: "other",
    }),
  });
  assert.deepEqual(await notConsentedOf(app, [KARI, OLA]), [KARI, OLA]);
  const config = await (await app.request("/_mock/config")).json();
  assert.equal(config.consentKey, "other");
  assert.equal(config.notConsentedFraction, 1);
});

Deno.test("consent: /_mock/config refuses unknown keys and bad values with an OperationOutcome", async () => {
  const { app } = createMockApp({ notConsentedFraction: 0, log: () => {} });
  const send = (body: unknown) =>
    app.request("/_mock/config", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  const unknown = await send({ notConsentedFraction: 0.2, faults: true });
  assert.equal(unknown.status, 400);
  const outcome = await unknown.json();
  assert.equal(outcome.resourceType, "OperationOutcome");
  assert.match(outcome.issue[0].diagnostics, /faults/);

  for (
    const bad of [
      { notConsentedFraction: 1.5 },
      { notConsentedFraction: "0.2" },
      { consentKey: "" },
      { notConsented: ["123"] },
    ]
  ) {
    const response = await send(bad);
    assert.equal(response.status, 400, JSON.stringify(bad));
    assert.equal((await response.json()).resourceType, "OperationOutcome");
  }
  const notJson = await app.request("/_mock/config", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{",
  });
  assert.equal(notJson.status, 400);

  // Nothing changed by the refused calls.
  const config = await (await app.request("/_mock/config")).json();
  assert.equal(config.notConsentedFraction, 0);
});

Deno.test("consent: a bad option to createMockApp is a RangeError", () => {
  assert.throws(() => createMockApp({ notConsentedFraction: 2 }), RangeError);
  assert.throws(() => createMockApp({ consentKey: "" }), RangeError);
  assert.throws(() => createMockApp({ notConsented: ["12345"] }), RangeError);
});
