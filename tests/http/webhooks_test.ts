/**
 * The webhook routes through `app.request()`: authentication, limits,
 * problem details, partial acceptance, dedupe, and flushing to the mock.
 */

import assert from "node:assert/strict";
import { signRequest } from "../../src/http/hmac_signature.ts";
import {
  createWebhookHarness,
  joined,
  mockTotals,
  nationalIds,
  OLD_SECRET,
  ORG,
  postSigned,
  SECRET,
  signedGet,
  signedJson,
  TOKEN,
  type WebhookHarness,
} from "./_harness.ts";

async function withHarness(
  fn: (h: WebhookHarness) => Promise<void>,
  env: Record<string, string> = {},
) {
  const h = await createWebhookHarness({ env });
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

async function pendingCount(h: WebhookHarness): Promise<number> {
  return (await h.service.status()).events.pending;
}

function noFullIds(text: string, ids: string[]) {
  for (const id of ids) {
    assert.ok(!text.includes(id), "a full national id leaked");
  }
}

Deno.test("a bad signature gets 401 as problem details and stores nothing", async () => {
  await withHarness(async (h) => {
    const [id] = nationalIds(1);
    const body = JSON.stringify(joined("e1", id));
    const headers = await signedJson(body, h.clock.now(), {
      secret: "wrong-secret-0123456789abcdef",
    });
    const response = await h.app.request("/webhooks/members", {
      method: "POST",
      body,
      headers,
    });
    assert.equal(response.status, 401);
    assert.equal(
      response.headers.get("content-type"),
      "application/problem+json",
    );
    const problem = await response.json();
    assert.equal(
      problem.type,
      "https://medlemsbro.invalid/problems/unauthorized",
    );
    assert.match(problem.detail, /does not match/);
    assert.equal(await pendingCount(h), 0);

    const unsigned = await h.app.request("/webhooks/members", {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    assert.equal(unsigned.status, 401);
    assert.ok(unsigned.headers.get("www-authenticate"));
    assert.equal(await pendingCount(h), 0);
  });
});

Deno.test("a timestamp more than 5 minutes off gets 401; 4 minutes is fine", async () => {
  await withHarness(async (h) => {
    const [a, b, c] = nationalIds(3);
    const stale = await postSigned(h, "/webhooks/members", joined("e1", a), {
      at: new Date(+h.clock.now() - 301_000),
    });
    assert.equal(stale.status, 401);
    assert.match((await stale.json()).detail, /too far/);
    const future = await postSigned(h, "/webhooks/members", joined("e2", b), {
      at: new Date(+h.clock.now() + 301_000),
    });
    assert.equal(future.status, 401);
    const fine = await postSigned(h, "/webhooks/members", joined("e3", c), {
      at: new Date(+h.clock.now() - 240_000),
    });
    assert.equal(fine.status, 202);
    assert.equal(await pendingCount(h), 1);
  });
});

Deno.test("a replayed request (same signature and timestamp) gets 409 and stores nothing more", async () => {
  await withHarness(async (h) => {
    const [id] = nationalIds(1);
    const body = JSON.stringify([joined("e1", id)]);
    const headers = await signedJson(body, h.clock.now());
    const first = await h.app.request("/webhooks/members", {
      method: "POST",
      body,
      headers,
    });
    assert.equal(first.status, 202);
    const again = await h.app.request("/webhooks/members", {
      method: "POST",
      body,
      headers,
    });
    assert.equal(again.status, 409);
    assert.equal(
      (await again.json()).type,
      "https://medlemsbro.invalid/problems/replayed-request",
    );
    // Signed again (new timestamp): acknowledged by event id, not stored twice.
    h.clock.advance(1000);
    const resent = await postSigned(h, "/webhooks/members", [joined("e1", id)]);
    assert.equal(resent.status, 202);
    assert.deepEqual((await resent.json()).duplicates, ["e1"]);
    assert.equal(await pendingCount(h), 1);
  });
});

Deno.test("both the current and the previous secret are accepted while a secret is rotated", async () => {
  await withHarness(async (h) => {
    const [a, b, c] = nationalIds(3);
    const current = await postSigned(h, "/webhooks/members", joined("e1", a));
    assert.equal(current.status, 202);
    const previous = await postSigned(h, "/webhooks/members", joined("e2", b), {
      secret: OLD_SECRET,
    });
    assert.equal(previous.status, 202);

    // A caller mid-rotation sends two signatures; one valid one is enough.
    const body = JSON.stringify(joined("e3", c));
    const at = h.clock.now();
    const request = { method: "POST", path: "/webhooks/members", body };
    const unknown = await signRequest(
      "retired-secret-0123456789abcdef",
      request,
      at,
    );
    const good = await signRequest(SECRET, request, at);
    const both = await h.app.request("/webhooks/members", {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-medlemsbro-timestamp": good["x-medlemsbro-timestamp"],
        "x-medlemsbro-signature": `${unknown["x-medlemsbro-signature"]},${
          good["x-medlemsbro-signature"]
        }`,
      },
    });
    assert.equal(both.status, 202);

    const retired = await postSigned(h, "/webhooks/members", joined("e4", c), {
      secret: "retired-secret-0123456789abcdef",
    });
    assert.equal(retired.status, 401);
    assert.equal(await pendingCount(h), 3);
  });
});

Deno.test("a bearer token is accepted; a wrong one gets 401", async () => {
  await withHarness(async (h) => {
    const [a] = nationalIds(1);
    const body = JSON.stringify(joined("e1", a));
    const ok = await h.app.request("/webhooks/members", {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${TOKEN}`,
      },
    });
    assert.equal(ok.status, 202);
    const wrong = await h.app.request("/webhooks/members", {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        authorization: "Bearer nope-nope-nope-nope",
      },
    });
    assert.equal(wrong.status, 401);
    const text = await wrong.text();
    assert.ok(!text.includes("nope-nope"), "the token is not echoed");
  });
});

Deno.test("a body over the route's limit gets 413, before any signature check", async () => {
  await withHarness(async (h) => {
    const ids = nationalIds(40);
    const events = ids.map((id, i) => joined(`e${i}`, id));
    const response = await postSigned(h, "/webhooks/members", events);
    assert.equal(response.status, 413);
    assert.equal(
      (await response.json()).type,
      "https://medlemsbro.invalid/problems/body-too-large",
    );
    assert.equal(await pendingCount(h), 0);

    // Without Content-Length (a stream), the limit holds too.
    const body = JSON.stringify(events);
    const stream = new Blob([body]).stream();
    const chunked = await h.app.request("/webhooks/members", {
      method: "POST",
      body: stream,
      headers: await signedJson(body, h.clock.now()),
    });
    assert.equal(chunked.status, 413);
  }, { MEDLEMSBRO_WEBHOOK_LIMIT_EVENTS: "2048" });
});

Deno.test("a wrong content type gets 415", async () => {
  await withHarness(async (h) => {
    const [a] = nationalIds(1);
    const body = JSON.stringify(joined("e1", a));
    const response = await h.app.request("/webhooks/members", {
      method: "POST",
      body,
      headers: {
        ...(await signedJson(body, h.clock.now())),
        "content-type": "text/plain",
      },
    });
    assert.equal(response.status, 415);
    assert.equal(
      response.headers.get("content-type"),
      "application/problem+json",
    );
    const full = await postSigned(h, "/webhooks/members/full", "x");
    assert.equal(full.status, 415, "a list must be CSV or NDJSON");
  });
});

Deno.test("malformed JSON gets 400 without echoing the body", async () => {
  await withHarness(async (h) => {
    const [a] = nationalIds(1);
    const response = await postSigned(
      h,
      "/webhooks/members",
      `{"id": "e1", "nationalId": "${a}"`,
    );
    assert.equal(response.status, 400);
    const text = await response.text();
    assert.match(text, /malformed-json/);
    noFullIds(text, [a]);
  });
});

Deno.test("a batch with good and bad events accepts the good ones and lists the bad by position, ids masked", async () => {
  await withHarness(async (h) => {
    const [a, b, c] = nationalIds(3);
    const badId = a.slice(0, 10) + String((Number(a[10]) + 1) % 10);
    const response = await postSigned(h, "/webhooks/members", [
      joined("e1", a),
      joined("e2", badId),
      { id: "e3", type: "moved", nationalId: b, organizationNumber: ORG },
      joined("e4", b, { end: "2025-01-01" }),
      joined("e5", c),
      "not an event",
    ]);
    assert.equal(response.status, 202);
    const body = await response.json();
    assert.deepEqual(body.accepted, ["e1", "e5"]);
    const positions = body.refused.map((r: { position: number }) => r.position);
    assert.deepEqual([...new Set(positions)], [2, 3, 4, 6]);
    const text = JSON.stringify(body);
    assert.match(text, /end-before-start|before it starts/);
    noFullIds(text, [a, b, c, badId]);
    assert.equal(await pendingCount(h), 2);

    const allBad = await postSigned(h, "/webhooks/members", [
      joined("e9", badId),
    ]);
    assert.equal(allBad.status, 422);
    const problem = await allBad.json();
    assert.equal(problem.errors[0].position, 1);
    assert.equal(problem.errors[0].id, "e9");
    noFullIds(JSON.stringify(problem), [badId]);
  });
});

Deno.test("duplicate event ids are acknowledged and sent to Helsenorge once", async () => {
  await withHarness(async (h) => {
    const [a, b] = nationalIds(2);
    const first = await postSigned(h, "/webhooks/members", [
      joined("e1", a),
      joined("e1", a),
    ]);
    assert.deepEqual(await first.json(), {
      accepted: ["e1"],
      duplicates: ["e1"],
      refused: [],
    });
    await h.service.drain();
    h.clock.advance(1000);
    const again = await postSigned(h, "/webhooks/members", [
      joined("e1", a),
      joined("e2", b),
    ]);
    assert.deepEqual(await again.json(), {
      accepted: ["e2"],
      duplicates: ["e1"],
      refused: [],
    });
    await h.service.drain();
    assert.deepEqual(mockTotals(h.mock), { patients: 2, entries: 2, calls: 2 });
  });
});

Deno.test("two events for one member in one flush: the later wins and one entry is sent", async () => {
  await withHarness(async (h) => {
    const [a] = nationalIds(1);
    await postSigned(h, "/webhooks/members", [
      joined("e1", a),
      { ...joined("e2", a), type: "changed", end: "2027-06-30" },
    ]);
    const [result] = await h.service.drain();
    assert.equal(result.superseded, 1);
    assert.equal(result.done, 2);
    assert.deepEqual(mockTotals(h.mock), { patients: 1, entries: 1, calls: 1 });
    const patient = h.mock.store.find("Patient", a)!.resource;
    assert.equal(patient.contact?.[0].period?.end, "2027-06-30");

    // A later `left` without dates ends it today, keeping the start.
    h.clock.advance(1000);
    await postSigned(h, "/webhooks/members", {
      id: "e3",
      type: "left",
      nationalId: a,
      organizationNumber: ORG,
    });
    await h.service.drain();
    const ended = h.mock.store.find("Patient", a)!.resource;
    assert.deepEqual(ended.contact?.[0].period, {
      start: "2026-01-01",
      end: "2026-06-15",
    });
    assert.equal((await h.service.status()).events.pending, 0);
  });
});

Deno.test("a joined member who leaves in a later flush is sent with the joined start, not dropped (found by the breaker)", async () => {
  await withHarness(async (h) => {
    const [a, b, c] = nationalIds(3);
    // Four events, two flushes: `left` A falls in the second, after the
    // `joined` A it supersedes was in the first one's scan.
    await postSigned(h, "/webhooks/members", [
      { ...joined("e1", a), end: "2027-12-31" },
      joined("e2", b),
      joined("e3", c),
      {
        id: "e4",
        type: "left",
        nationalId: a,
        organizationNumber: ORG,
        end: "2027-03-31",
      },
    ]);
    const results = await h.service.drain();
    assert.ok(results.length >= 2, `${results.length} flushes`);
    const patient = h.mock.store.find("Patient", a)?.resource;
    assert.deepEqual(patient?.contact?.[0].period, {
      start: "2026-01-01",
      end: "2027-03-31",
    });
    const total = (key: "superseded" | "done") =>
      results.reduce((sum, r) => sum + r[key], 0);
    assert.equal(total("superseded"), 1);
    assert.equal(total("done"), 4);
    assert.equal((await h.service.status()).events.pending, 0);
  }, { MEDLEMSBRO_WEBHOOK_FLUSH_SIZE: "2" });
});

Deno.test("a flush waits for the size or age limit", async () => {
  await withHarness(async (h) => {
    const ids = nationalIds(5);
    await postSigned(
      h,
      "/webhooks/members",
      ids.slice(0, 2).map((id, i) => joined(`e${i}`, id)),
    );
    const { flushPending } = await import("../../src/service/flush.ts");
    const early = await flushPending(h.service.context);
    assert.equal(early.sent, 0);
    assert.equal(early.nextAt?.toISOString(), "2026-06-15T08:00:01.000Z");
    h.clock.advance(500);
    await postSigned(
      h,
      "/webhooks/members",
      ids.slice(2).map((id, i) => joined(`f${i}`, id)),
    );
    const bySize = await flushPending(h.service.context);
    assert.equal(bySize.sent, 3, "three due events reach the size limit of 3");
    h.clock.advance(1000);
    const byAge = await flushPending(h.service.context);
    assert.equal(byAge.sent, 2);
    assert.equal(mockTotals(h.mock).entries, 5);
  }, {
    MEDLEMSBRO_WEBHOOK_FLUSH_SIZE: "3",
    MEDLEMSBRO_WEBHOOK_FLUSH_AGE_MS: "1000",
  });
});

Deno.test("a GET's signature covers its path: it is refused on another path, and two GETs in one second do not collide", async () => {
  await withHarness(async (h) => {
    const at = h.clock.now();
    const forStatus = await signedGet("/status", at);
    const elsewhere = await h.app.request("/webhooks/members/full/abc", {
      headers: forStatus,
    });
    assert.equal(elsewhere.status, 401);
    assert.match((await elsewhere.json()).detail, /method, path/);

    const status = await h.app.request("/status", { headers: forStatus });
    assert.equal(status.status, 200);
    const upload = await h.app.request("/webhooks/members/full/abc", {
      headers: await signedGet("/webhooks/members/full/abc", at),
    });
    assert.equal(upload.status, 404, "not a replay of the /status call");
  });
});

Deno.test("a request refused after authentication (415, 422) does not use up its signature", async () => {
  await withHarness(async (h) => {
    const [a, bad] = nationalIds(2);
    const body = JSON.stringify([joined("e1", a)]);
    const headers = await signedJson(body, h.clock.now());
    const wrongType = await h.app.request("/webhooks/members", {
      method: "POST",
      body,
      headers: { ...headers, "content-type": "text/plain" },
    });
    assert.equal(wrongType.status, 415);
    const corrected = await h.app.request("/webhooks/members", {
      method: "POST",
      body,
      headers,
    });
    assert.equal(corrected.status, 202, "the same signature, now accepted");
    const replayed = await h.app.request("/webhooks/members", {
      method: "POST",
      body,
      headers,
    });
    assert.equal(replayed.status, 409, "an accepted signature is used up");

    const invalid = JSON.stringify([joined("e2", bad.slice(0, 10) + "x")]);
    const invalidHeaders = await signedJson(invalid, h.clock.now());
    for (let i = 0; i < 2; i++) {
      const refused = await h.app.request("/webhooks/members", {
        method: "POST",
        body: invalid,
        headers: invalidHeaders,
      });
      assert.equal(refused.status, 422, `try ${i + 1}`);
    }
  });
});

Deno.test("event ids are restricted to a safe charset and length, and digit runs in them are masked wherever echoed", async () => {
  await withHarness(async (h) => {
    const [a, b, c] = nationalIds(3);
    const response = await postSigned(h, "/webhooks/members", [
      joined("23907640450", a),
      joined("bad\u0000id", b),
      joined("esc\u001b[31m", b),
      joined("rtl\u202eevil", b),
      joined("x".repeat(129), b),
      joined("", b),
      joined("evt-2026:06.15_1", c),
    ]);
    assert.equal(response.status, 202);
    const text = await response.text();
    assert.ok(!text.includes("23907640450"), "a 10+ digit id is masked");
    for (const bad of ["\\u0000", "\\u001b", "\u0000", "\u001b", "\u202e"]) {
      assert.ok(!text.includes(bad), "no control character echoed");
    }
    const body = JSON.parse(text);
    assert.deepEqual(body.accepted, ["239076*****", "evt-2026:06.15_1"]);
    assert.deepEqual(
      body.refused.map((r: { position: number }) => r.position),
      [2, 3, 4, 5, 6],
    );
    for (const item of body.refused) {
      assert.equal(item.field, "id");
      assert.equal(item.id, undefined, "a bad id is not echoed");
      assert.match(item.reason, /1 to 128 characters of A-Z/);
    }

    // A redelivery, a conflict and a 422 echo masked ids too.
    h.clock.advance(1000);
    const again = await (await postSigned(h, "/webhooks/members", [
      joined("23907640450", a),
    ])).json();
    assert.deepEqual(again.duplicates, ["239076*****"]);
    h.clock.advance(1000);
    const conflict = await postSigned(h, "/webhooks/members", [
      joined("23907640450", a, { end: "2027-01-31" }),
    ]);
    const conflictText = await conflict.text();
    assert.equal(conflict.status, 422);
    assert.ok(!conflictText.includes("23907640450"));
    assert.equal(JSON.parse(conflictText).errors[0].id, "239076*****");
  });
});

Deno.test("a redelivered id with other content is refused as a conflict and the first event kept", async () => {
  await withHarness(async (h) => {
    const [a, b] = nationalIds(2);
    await postSigned(h, "/webhooks/members", [joined("e1", a)]);
    h.clock.advance(1000);
    const response = await postSigned(h, "/webhooks/members", [
      joined("e2", b),
      joined("e1", a, { end: "2027-06-30" }),
      joined("e2", b, { type: "changed" }),
      joined("e2", b),
    ]);
    assert.equal(response.status, 202);
    const body = await response.json();
    assert.deepEqual(body.accepted, ["e2"]);
    assert.deepEqual(body.duplicates, ["e2"]);
    assert.deepEqual(
      body.refused.map((r: { position: number; id: string }) => [
        r.position,
        r.id,
      ]),
      [[2, "e1"], [3, "e2"]],
    );
    assert.match(body.refused[0].reason, /^conflict: .*other content/);

    // Also after the first was settled, and when nothing else is good: 422.
    await h.service.drain();
    h.clock.advance(1000);
    const late = await postSigned(h, "/webhooks/members", [
      joined("e1", a, { end: "2027-06-30" }),
    ]);
    assert.equal(late.status, 422);
    const problem = await late.json();
    assert.equal(problem.detail, "all events were refused; nothing was stored");
    assert.match(problem.errors[0].reason, /^conflict/);
    const patient = h.mock.store.find("Patient", a)!.resource;
    assert.equal(patient.contact?.[0].period?.end, "2026-12-31");
  });
});

Deno.test("the 422 for a request with nothing good has one wording, for one event or many", async () => {
  await withHarness(async (h) => {
    const [a, b] = nationalIds(2);
    const bad = (id: string) =>
      id.slice(0, 10) + String((Number(id[10]) + 1) % 10);
    const one = await (await postSigned(h, "/webhooks/members", [
      joined("e1", bad(a)),
    ])).json();
    const two = await (await postSigned(h, "/webhooks/members", [
      joined("e2", bad(a)),
      joined("e3", bad(b)),
    ])).json();
    assert.equal(one.detail, "all events were refused; nothing was stored");
    assert.equal(two.detail, one.detail);
  });
});

Deno.test("a stored left event marks the member ended in state, so /status counts it ended", async () => {
  await withHarness(async (h) => {
    const [a, b] = nationalIds(2);
    await postSigned(h, "/webhooks/members", [
      joined("e1", a),
      joined("e2", b),
    ]);
    await h.service.drain();
    assert.equal((await h.service.status()).members[ORG].stored, 2);

    h.clock.advance(1000);
    await postSigned(h, "/webhooks/members", {
      id: "e3",
      type: "left",
      nationalId: a,
      organizationNumber: ORG,
      end: "2026-06-30",
    });
    const [result] = await h.service.drain();
    assert.equal(result.ended, 1);
    const members = (await h.service.status()).members[ORG];
    assert.equal(members.ended, 1);
    assert.equal(members.stored, 1);
    const [held] = await h.state.getMembers([{
      nationalId: a,
      organizationNumber: ORG,
      idSystem: "",
      start: "",
      end: "",
    }]);
    assert.equal(held?.state.status, "ended");
    assert.equal(held?.state.end, "2026-06-30");
    assert.equal((await h.service.status()).events.pending, 0);
  });
});

Deno.test("a flush's counters add up: events = done + retried + dead, superseded and settled-without-a-call included", async () => {
  await withHarness(async (h) => {
    const [a, b] = nationalIds(2);
    await postSigned(h, "/webhooks/members", [
      joined("e1", a),
      { ...joined("e2", a), type: "changed", end: "2027-06-30" },
      // Never sent, no start: nothing to end, settled without a call.
      { id: "e3", type: "left", nationalId: b, organizationNumber: ORG },
    ]);
    const [result] = await h.service.drain();
    assert.deepEqual(
      {
        events: result.events,
        sent: result.sent,
        done: result.done,
        retried: result.retried,
        dead: result.dead,
        superseded: result.superseded,
      },
      { events: 3, sent: 1, done: 3, retried: 0, dead: 0, superseded: 1 },
    );
    const line = h.logs.map((l) => JSON.parse(l)).find((l) =>
      l.msg === "flush"
    );
    assert.equal(line.events, line.done + line.retried + line.dead);
    assert.equal(line.events, 3);
    assert.equal(line.sent, 1);
  });
});

Deno.test("a body declared in a charset other than UTF-8 gets 415 naming the charset, and nothing is stored", async () => {
  await withHarness(async (h) => {
    const [a] = nationalIds(1);
    for (const charset of ["latin1", "ISO-8859-1", '"windows-1252"']) {
      const response = await postSigned(h, "/webhooks/members", [
        joined(`e-${charset.length}`, a),
      ], {
        headers: { "content-type": `application/json; charset=${charset}` },
      });
      assert.equal(response.status, 415, charset);
      const problem = await response.json();
      assert.equal(
        problem.type,
        "https://medlemsbro.invalid/problems/unsupported-charset",
      );
      assert.ok(problem.detail.includes(charset.replaceAll('"', "")));
      h.clock.advance(1000);
    }
    const offerings = await postSigned(h, "/webhooks/offerings", {}, {
      headers: { "content-type": "application/json; charset=latin1" },
    });
    assert.equal(offerings.status, 415);
    assert.equal(await pendingCount(h), 0);

    const utf8 = await postSigned(h, "/webhooks/members", [joined("e1", a)], {
      headers: { "content-type": "application/json; charset=UTF-8" },
    });
    assert.equal(utf8.status, 202);
  });
});

Deno.test("a wrong method on an existing route gets 405 with Allow as problem details; an unknown path 404", async () => {
  await withHarness(async (h) => {
    const get = await h.app.request("/webhooks/members", {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    assert.equal(
      get.headers.get("content-type"),
      "application/problem+json",
    );
    assert.equal(
      (await get.json()).type,
      "https://medlemsbro.invalid/problems/method-not-allowed",
    );
    const del = await h.app.request("/webhooks/members/full/abc", {
      method: "DELETE",
    });
    assert.equal(del.status, 405);
    assert.equal(del.headers.get("allow"), "GET, HEAD");
    const post = await h.app.request("/status", { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    const unknown = await h.app.request("/nothing-here");
    assert.equal(unknown.status, 404);
  });
});

Deno.test("a caller's X-Request-Id is used only when safe, masked the same in header, problem and log", async () => {
  await withHarness(async (h) => {
    const withId = (id: string) =>
      h.app.request("/webhooks/members", {
        method: "POST",
        body: "{}",
        headers: { "content-type": "application/json", "x-request-id": id },
      });
    const digits = await withId("23907640450");
    const header = digits.headers.get("x-request-id");
    assert.equal(header, "239076*****");
    const problem = await digits.json();
    assert.equal(problem.requestId, header);
    const logged = h.logs.map((l) => JSON.parse(l)).filter((l) =>
      l.msg === "request"
    );
    assert.equal(logged.at(-1).requestId, header);
    assert.ok(!h.logs.join("\n").includes("23907640450"));

    const fine = await withId("req-abc.1:2_3");
    assert.equal(fine.headers.get("x-request-id"), "req-abc.1:2_3");
    for (const bad of ["with space", "x".repeat(129), "a;b", "a=b"]) {
      const response = await withId(bad);
      const made = response.headers.get("x-request-id")!;
      assert.notEqual(made, bad);
      assert.match(made, /^[0-9a-f-]{36}$/, "a new one is made");
      assert.equal((await response.json()).requestId, made);
    }
  });
});
