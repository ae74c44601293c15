import assert from "node:assert/strict";
import { createApp } from "./app.ts";

Deno.test("GET /healthz answers ok with the version and nothing else", async () => {
  const response = await createApp({ version: "1.2.3" }).request("/healthz");
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "ok", version: "1.2.3" });
});
