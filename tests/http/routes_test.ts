/**
 * The other routes through `app.request()`: whole-list uploads (like
 * `sync --full`, safety brake included), offerings, status, health, the
 * OpenAPI document, and the request log.
 */

import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { signRequest } from "../../src/http/hmac_signature.ts";
import {
  createWebhookHarness,
  joined,
  nationalIds,
  postSigned,
  SECRET,
  signedGet,
  TOKEN,
  type WebhookHarness,
} from "./_harness.ts";

const FIXTURES = new URL("../../fixtures/", import.meta.url);
const AUTH = { authorization: `Bearer ${TOKEN}` };

async function upload(
  h: WebhookHarness,
  body: Uint8Array,
  type = "text/csv",
): Promise<Response> {
  return await h.app.request("/webhooks/members/full", {
    method: "POST",
    body: body as BodyInit,
    headers: {
      "content-type": type,
      ...(await signRequest(
        SECRET,
        { method: "POST", path: "/webhooks/members/full", body },
        h.clock.now(),
      )),
    },
  });
}

Deno.test("a whole list is stored, run like sync --full, and a truncated one is stopped by the safety brake", async () => {
  const h = await createWebhookHarness();
  try {
    const csv = await Deno.readFile(new URL("medlemmer-eksport.csv", FIXTURES));
    const response = await upload(h, csv);
    assert.equal(response.status, 202);
    const accepted = await response.json();
    assert.equal(accepted.status, "pending");
    assert.equal(accepted.bytes, csv.length);

    await h.service.handle({ kind: "upload", id: accepted.uploadId });
    assert.equal(h.mock.store.list("Patient").length, 39);
    const status = await h.app.request(accepted.statusUrl, { headers: AUTH });
    const done = await status.json();
    assert.equal(done.status, "done");
    assert.equal(done.result.members.read, 43);
    assert.equal(done.result.members.stored, 39);
    assert.equal(done.result.members.invalid, 3);
    assert.ok(!JSON.stringify(done).includes("23907640450"));

    // The same export without most rows would end too many memberships.
    const text = new TextDecoder().decode(csv).split("\r\n").slice(0, 6)
      .join("\r\n") + "\r\n";
    h.clock.advance(1000);
    const truncated = await upload(h, new TextEncoder().encode(text));
    const { uploadId } = await truncated.json();
    await h.service.handle({ kind: "upload", id: uploadId });
    const braked = await (await h.app.request(
      `/webhooks/members/full/${uploadId}`,
      { headers: AUTH },
    )).json();
    assert.equal(braked.status, "done");
    assert.match(braked.result.stoppedBecause, /end|share|%/i);
    assert.equal(braked.result.members.ended, 0);
    const unknown = await h.app.request("/webhooks/members/full/nope", {
      headers: AUTH,
    });
    assert.equal(unknown.status, 404);
  } finally {
    await h.close();
  }
});

Deno.test("an NDJSON list is read as NDJSON; an empty body gets 422", async () => {
  const h = await createWebhookHarness();
  try {
    const ids = nationalIds(3);
    const ndjson = ids.map((id) =>
      JSON.stringify({
        nationalId: id,
        organizationNumber: "948554062",
        start: "2026-01-01",
        end: "2026-12-31",
      })
    ).join("\n") + "\n";
    const response = await upload(
      h,
      new TextEncoder().encode(ndjson),
      "application/x-ndjson",
    );
    assert.equal(response.status, 202);
    await h.service.handle({
      kind: "upload",
      id: (await response.json()).uploadId,
    });
    assert.equal(h.mock.store.list("Patient").length, 3);

    h.clock.advance(1000);
    const empty = await upload(h, new Uint8Array(0));
    assert.equal(empty.status, 422);
  } finally {
    await h.close();
  }
});

Deno.test("offerings are checked whole, stored, and sent by the consumer", async () => {
  const h = await createWebhookHarness();
  try {
    const offerings = JSON.parse(
      await Deno.readTextFile(new URL("helsetilbud.json", FIXTURES)),
    );
    const bad = structuredClone(offerings);
    delete bad.organizations[0].name;
    const refused = await postSigned(h, "/webhooks/offerings", bad);
    assert.equal(refused.status, 422);
    const problem = await refused.json();
    assert.equal(problem.errors[0].field, "organizations[0].name");

    h.clock.advance(1000);
    const response = await postSigned(h, "/webhooks/offerings", offerings);
    assert.equal(response.status, 202);
    await h.service.handle({ kind: "offerings" });
    assert.equal(h.mock.store.list("HealthcareService").length, 3);
  } finally {
    await h.close();
  }
});

Deno.test("GET /status needs authentication; GET /healthz does not and shows no secret", async () => {
  const h = await createWebhookHarness();
  try {
    const health = await h.app.request("/healthz");
    assert.equal(health.status, 200);
    const text = await health.text();
    assert.ok(!text.includes(SECRET) && !text.includes(TOKEN));

    assert.equal((await h.app.request("/status")).status, 401);
    const [a] = nationalIds(1);
    await postSigned(h, "/webhooks/members", [joined("e1", a)]);
    await h.service.drain();
    const status = await (await h.app.request("/status", {
      headers: await signedGet("/status", h.clock.now()),
    })).json();
    assert.deepEqual(status.events, { pending: 0, dead: 0 });
    assert.equal(status.members["948554062"].stored, 1);
    assert.equal(status.runs[0].trigger, "webhook");
  } finally {
    await h.close();
  }
});

Deno.test("the OpenAPI document validates and lists exactly the app's routes", async () => {
  const h = await createWebhookHarness();
  try {
    const doc = await (await h.app.request("/openapi.json")).json();
    const validator = new Validator();
    const result = await validator.validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors));

    const documented = Object.entries(doc.paths as Record<string, object>)
      .flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)
      )
      .sort();
    const served = h.app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    assert.deepEqual([...new Set(served)].sort(), documented);
    assert.ok(doc.components.schemas.MemberEvent);
    assert.ok(doc.components.securitySchemes.hmacSignature);
  } finally {
    await h.close();
  }
});

Deno.test("each request and each flush logs one JSON line with a request id, ids masked", async () => {
  const h = await createWebhookHarness();
  try {
    const [a] = nationalIds(1);
    const response = await postSigned(h, "/webhooks/members", [
      joined("e1", a),
    ]);
    const requestId = response.headers.get("x-request-id");
    assert.ok(requestId);
    await postSigned(h, "/webhooks/members", "{broken");
    await h.service.drain();

    const lines = h.logs.map((line) => JSON.parse(line));
    const requests = lines.filter((l) => l.msg === "request");
    assert.equal(requests.length, 2);
    assert.equal(requests[0].requestId, requestId);
    assert.equal(requests[0].status, 202);
    assert.equal(requests[0].caller, "hmac#1");
    assert.equal(requests[1].status, 400);
    const flushes = lines.filter((l) => l.msg === "flush");
    assert.equal(flushes.length, 1);
    assert.equal(flushes[0].events, 1);
    const all = h.logs.join("\n");
    assert.ok(
      !all.includes(a) && !all.includes(SECRET) && !all.includes(TOKEN),
    );
  } finally {
    await h.close();
  }
});

Deno.test("an offerings 422 lists every problem at once: duplicate service ids beside other errors, unknown keys by path", async () => {
  const h = await createWebhookHarness();
  try {
    const offerings = JSON.parse(
      await Deno.readTextFile(new URL("helsetilbud.json", FIXTURES)),
    );
    const bad = structuredClone(offerings);
    delete bad.organizations[0].name;
    bad.coment = "typo";
    bad.organizations[0].typo = 1;
    const services = bad.organizations[0].services;
    services.push({ ...services[0], name: "Copy" });
    const response = await postSigned(h, "/webhooks/offerings", bad);
    assert.equal(response.status, 422);
    const problem = await response.json();
    const fields = problem.errors.map((e: { field?: string }) => e.field);
    assert.ok(fields.includes("organizations[0].name"), fields.join());
    assert.ok(fields.includes("coment"), fields.join());
    assert.ok(fields.includes("organizations[0].typo"), fields.join());
    const dup = problem.errors.find((e: { field?: string }) =>
      e.field === `organizations[0].services[${services.length - 1}].id`
    );
    assert.match(dup?.reason ?? "", /also used by organizations\[0\]/);
    for (const item of problem.errors) assert.ok(item.field, item.reason);
    assert.equal(
      problem.detail,
      `${problem.errors.length} problems; nothing was stored`,
    );
  } finally {
    await h.close();
  }
});

Deno.test("GET /status shows the latest offerings upload and its outcome", async () => {
  const h = await createWebhookHarness();
  try {
    const status = async () =>
      (await (await h.app.request("/status", {
        headers: { authorization: `Bearer ${TOKEN}` },
      })).json()).offerings;
    assert.equal(await status(), null);
    const offerings = JSON.parse(
      await Deno.readTextFile(new URL("helsetilbud.json", FIXTURES)),
    );
    const response = await postSigned(h, "/webhooks/offerings", offerings);
    const { id } = await response.json();
    assert.deepEqual(await status(), {
      id,
      status: "pending",
      receivedAt: "2026-06-15T08:00:00.000Z",
      attempts: 0,
    });
    await h.service.handle({ kind: "offerings" });
    const sent = await status();
    assert.equal(sent.id, id);
    assert.equal(sent.status, "sent");
    assert.equal(sent.attempts, 1);
    assert.ok(sent.sentAt);
  } finally {
    await h.close();
  }
});
