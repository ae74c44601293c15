/**
 * The README's signed curl call, run as written (bash, openssl, curl)
 * against the service on a real socket on 127.0.0.1; only the address is
 * replaced by the test server's.
 */

import assert from "node:assert/strict";
import { createWebhookHarness } from "./_harness.ts";

const README = new URL("../../README.md", import.meta.url);

async function have(tool: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("sh", {
      args: ["-c", `command -v ${tool}`],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** The README's `sh` block that signs with openssl. */
async function signedCallBlock(): Promise<string> {
  const text = await Deno.readTextFile(README);
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  const block = blocks.find((b) => b.includes("openssl dgst"));
  assert.ok(block, "the README has a signed curl example");
  return block;
}

Deno.test({
  name: "the README's signed curl call is accepted as written",
  ignore: !(await have("bash") && await have("openssl") &&
    await have("curl")),
  fn: async () => {
    const block = await signedCallBlock();
    assert.match(block, /http:\/\/127\.0\.0\.1:8000\/webhooks\/members/);
    const h = await createWebhookHarness({
      realClock: true,
      env: { MEDLEMSBRO_WEBHOOK_SECRETS: "demo-secret-0123456789abcdef" },
    });
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      h.app.fetch,
    );
    try {
      const script = block.replaceAll(
        "http://127.0.0.1:8000",
        `http://127.0.0.1:${server.addr.port}`,
      ).replace(/curl /, "curl -s --max-time 10 ");
      const out = await new Deno.Command("bash", {
        args: ["-c", script],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const answer = new TextDecoder().decode(out.stdout);
      assert.equal(out.success, true, new TextDecoder().decode(out.stderr));
      assert.deepEqual(JSON.parse(answer), {
        accepted: ["evt-1"],
        duplicates: [],
        refused: [],
      });
    } finally {
      await server.shutdown();
      await h.close();
    }
  },
});
