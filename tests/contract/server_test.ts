// One real-socket run of the mock on 127.0.0.1, and the `deno task mock` flags.

import assert from "node:assert/strict";
import { parseMockArgs } from "../../mock-helsenorge/main.ts";
import { startMock } from "../../mock-helsenorge/server.ts";
import {
  FNR,
  KARI,
  memberEntry,
  membersBatch,
  offeringsTransaction,
} from "./_bundles.ts";

Deno.test("startMock: serves the API on 127.0.0.1 and closes itself", async () => {
  const mock = await startMock({ notConsentedFraction: 0, log: () => {} });
  try {
    assert.match(mock.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(mock.baseUrl, `${mock.url}/helsekontakter/api/v1`);

    const offerings = await fetch(mock.baseUrl, {
      method: "POST",
      headers: { "content-type": "application/fhir+json" },
      body: JSON.stringify(offeringsTransaction()),
    });
    assert.equal(offerings.status, 200);
    assert.equal((await offerings.json()).type, "transaction-response");

    const members = await fetch(mock.baseUrl, {
      method: "POST",
      headers: { "content-type": "application/fhir+json" },
      body: JSON.stringify(membersBatch([memberEntry(KARI, FNR)])),
    });
    assert.equal(
      (await members.json()).entry[0].response.status,
      "201 Created",
    );

    const received = await (await fetch(`${mock.url}/_mock/received`)).json();
    assert.equal(received.patients.length, 1);
    assert.equal(mock.store.list("Organization").length, 2);
  } finally {
    await mock.close();
  }
  await mock.close(); // a second close is harmless
  await assert.rejects(fetch(mock.baseUrl));
});

Deno.test("parseMockArgs: flags become startMock options", async () => {
  assert.deepEqual(await parseMockArgs([]), { port: 8787, production: false });
  assert.deepEqual(
    await parseMockArgs([
      "--port",
      "0",
      "--base-path",
      "/api",
      "--not-consented-fraction",
      "0.25",
      "--consent-key",
      "k",
      "--not-consented",
      `${KARI}, 55904713375`,
      "--production",
    ]),
    {
      port: 0,
      production: true,
      basePath: "/api",
      notConsentedFraction: 0.25,
      consentKey: "k",
      notConsented: [KARI, "55904713375"],
    },
  );
  assert.equal(await parseMockArgs(["--help"]), "help");
  await assert.rejects(parseMockArgs(["--port", "eighty"]), TypeError);
  await assert.rejects(
    parseMockArgs(["--not-consented", "no-such-file.txt"]),
    TypeError,
  );
  await assert.rejects(parseMockArgs(["--bogus"]));
});

Deno.test("parseMockArgs: --not-consented reads a file of ids", async () => {
  const file = new URL("./testdata/not-consented.txt", import.meta.url);
  const options = await parseMockArgs(["--not-consented", file.pathname]);
  assert.notEqual(options, "help");
  assert.deepEqual(
    options !== "help" && options.notConsented,
    [KARI, "55904713375", "17814734625"],
  );
});
