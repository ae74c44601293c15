import assert from "node:assert/strict";
import {
  ORG_A,
  PASSWORD,
  seedOperatorService,
  USER,
} from "../../../tests/browser/_seed.ts";

const ORIGIN = "http://localhost";

async function withSeed(
  fn: (s: Awaited<ReturnType<typeof seedOperatorService>>) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "medlemsbro-operator-" });
  const seeded = await seedOperatorService(dir);
  try {
    await fn(seeded);
  } finally {
    await seeded.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function assertNoFullIds(text: string, ids: readonly string[]) {
  for (const id of ids) {
    assert.ok(!text.includes(id), "a full national id appears in the output");
  }
}

async function login(
  app: {
    request: (p: string, i?: RequestInit) => Response | Promise<Response>;
  },
  password = PASSWORD,
) {
  return await app.request(`${ORIGIN}/login`, {
    method: "POST",
    headers: {
      origin: ORIGIN,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ username: USER, password }),
  });
}

function cookieOf(response: Response): string {
  const set = response.headers.get("set-cookie") ?? "";
  return set.split(";")[0];
}

Deno.test("operator page: login form, session cookie, and the page behind it", async () => {
  await withSeed(async ({ app, nationalIds }) => {
    const anonymous = await app.request(`${ORIGIN}/`);
    assert.equal(anonymous.status, 303);
    assert.equal(anonymous.headers.get("location"), "/login");

    const form = await app.request(`${ORIGIN}/login`, {
      headers: { "accept-language": "en-GB,en;q=0.9" },
    });
    assert.match(await form.text(), /<button type="submit">Log in<\/button>/);
    const norsk = await app.request(`${ORIGIN}/login`, {
      headers: { "accept-language": "nb-NO,nb;q=0.9,en;q=0.5" },
    });
    assert.match(await norsk.text(), /Logg inn/);

    const wrong = await login(app, "not-the-password");
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get("set-cookie"), null);

    const ok = await login(app);
    assert.equal(ok.status, 303);
    const setCookie = ok.headers.get("set-cookie") ?? "";
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Max-Age=28800/);

    const page = await app.request(`${ORIGIN}/`, {
      headers: { cookie: cookieOf(ok), "accept-language": "en" },
    });
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-security-policy") ?? "", /'none'/);
    const html = await page.text();
    assertNoFullIds(html, nationalIds);
    assert.match(html, /Last runs/);
    assert.match(html, new RegExp(`data-org="${ORG_A}"`));
    assert.match(html, /<svg[^>]*class="chart"/);
    assert.match(html, /Eksempel Bedriftshelse AS/);
    assert.match(html, /evt-left-0042/);
    assert.match(html, /Retry now/);

    const tampered = cookieOf(ok).replace(/.$/, (ch) => ch === "A" ? "B" : "A");
    const refused = await app.request(`${ORIGIN}/`, {
      headers: { cookie: tampered },
    });
    assert.equal(refused.status, 303);
  });
});

Deno.test("operator page: machines use the /status bearer token", async () => {
  await withSeed(async ({ app }) => {
    const page = await app.request(`${ORIGIN}/`, {
      headers: { authorization: "Bearer operator-test-token-0123456789" },
    });
    assert.equal(page.status, 200);
    const bad = await app.request(`${ORIGIN}/`, {
      headers: { authorization: "Bearer wrong-token-0123456789abcdef" },
    });
    assert.equal(bad.status, 401);
  });
});

Deno.test("operator page: retry needs the session's CSRF token and same origin; then the member is sent", async () => {
  await withSeed(async (seeded) => {
    const { app, retryTarget, state } = seeded;
    const cookie = cookieOf(await login(app));
    const html = await (await app.request(`${ORIGIN}/`, {
      headers: { cookie },
    })).text();
    const row = html.split("<tr").find((r) =>
      r.includes(`data-member="${retryTarget.masked}"`)
    );
    assert.ok(row, "the not-consented member is listed for retry");
    const member = row.match(/name="member" value="([^"]+)"/)![1];
    const csrf = row.match(/name="csrf" value="([^"]+)"/)![1];
    assert.ok(!member.includes(retryTarget.nationalId));

    const post = (body: Record<string, string>, origin = ORIGIN) =>
      app.request(`${ORIGIN}/actions/retry`, {
        method: "POST",
        headers: {
          cookie,
          origin,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams(body),
      });

    assert.equal((await post({ member, csrf: "x".repeat(24) })).status, 403);
    assert.equal(
      (await post({ member, csrf }, "http://evil.example")).status,
      403,
    );
    assert.equal((await post({ member: member + "A", csrf })).status, 400);

    await seeded.consent();
    const done = await post({ member, csrf });
    assert.equal(done.status, 303);
    const location = done.headers.get("location") ?? "";
    assert.match(location, /notice=retried/);
    assert.match(location, /status=stored/);
    assert.ok(!location.includes(retryTarget.nationalId));

    const [after] = await state.getMembers([{
      nationalId: retryTarget.nationalId,
      organizationNumber: retryTarget.org,
      idSystem: "urn:oid:2.16.578.1.12.4.1.4.1",
      start: "",
      end: "",
    }]);
    assert.equal(after?.state.status, "stored");
    const runs = await state.lastRuns(1);
    assert.equal(runs[0].trigger, "operator");
  });
});

Deno.test("operator page: problems CSV has a BOM, ; and CRLF, and masked ids only", async () => {
  await withSeed(async ({ app, nationalIds }) => {
    const cookie = cookieOf(await login(app));
    const response = await app.request(`${ORIGIN}/problems.csv`, {
      headers: { cookie, "accept-language": "nb" },
    });
    assert.equal(response.status, 200);
    assert.match(
      response.headers.get("content-disposition") ?? "",
      /^attachment; filename="medlemsbro-problems-\d{8}-\d{4}\.csv"$/,
    );
    const bytes = new Uint8Array(await response.arrayBuffer());
    assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes);
    assertNoFullIds(text, nationalIds);
    const lines = text.split("\r\n");
    assert.equal(lines.at(-1), "");
    assert.equal(
      lines[0],
      "Kjøring startet;Rad;Verdi (fødselsnumre maskert);Kode;Årsak",
    );
    assert.ok(lines.length >= 5);
    assert.ok(lines.slice(1, -1).every((l) => l.split(";").length >= 5));
    assert.ok(lines.some((l) => /;\d{6}\*{5};invalid-national-id;/.test(l)));
  });
});

Deno.test("operator page: starting a sync flushes waiting events", async () => {
  await withSeed(async ({ app, service }) => {
    const cookie = cookieOf(await login(app));
    const html = await (await app.request(`${ORIGIN}/`, {
      headers: { cookie },
    })).text();
    const csrf = html.match(/name="csrf" value="([^"]+)"/)![1];
    assert.equal((await service.status()).events.pending, 2);
    const response = await app.request(`${ORIGIN}/actions/sync`, {
      method: "POST",
      headers: {
        cookie,
        origin: ORIGIN,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ csrf }),
    });
    assert.equal(response.status, 303);
    assert.match(response.headers.get("location") ?? "", /notice=sync/);
    assert.equal((await service.status()).events.pending, 0);
  });
});
