import assert from "node:assert/strict";
import { hashPassword, parsePasswordHash, verifyPassword } from "./password.ts";
import { loadOperatorSettings } from "./settings.ts";

Deno.test("hashPassword() makes a PBKDF2 entry that verifyPassword() accepts, and only for its password", async () => {
  const encoded = await hashPassword("riktig hest batteri", {
    iterations: 1000,
  });
  assert.match(encoded, /^pbkdf2-sha256\$1000\$[\w-]{22}\$[\w-]{43}$/);
  const parsed = parsePasswordHash(encoded)!;
  assert.equal(await verifyPassword("riktig hest batteri", parsed), true);
  assert.equal(await verifyPassword("riktig hest batteri ", parsed), false);
});

Deno.test("operator settings name the variable of a bad entry, never the entry", () => {
  assert.throws(
    () =>
      loadOperatorSettings({
        MEDLEMSBRO_OPERATOR_USERS: "kari:plaintext-password",
        MEDLEMSBRO_OPERATOR_SESSION_SECRET: "short",
      }),
    (error: Error) => {
      assert.match(error.message, /MEDLEMSBRO_OPERATOR_USERS: entry 1/);
      assert.match(error.message, /MEDLEMSBRO_OPERATOR_SESSION_SECRET/);
      assert.ok(!error.message.includes("plaintext-password"));
      return true;
    },
  );
  const settings = loadOperatorSettings({});
  assert.equal(settings.randomSecret, true);
  assert.equal(settings.sessionTtlMs, 8 * 3_600_000);
});

Deno.test("deno task operator-password prints NAME:hash from standard input", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      new URL("./password_command.ts", import.meta.url).pathname,
      "kari",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("a long enough password\n"));
  await writer.close();
  const { code, stdout } = await child.output();
  assert.equal(code, 0);
  const line = new TextDecoder().decode(stdout).trim();
  const settings = loadOperatorSettings({ MEDLEMSBRO_OPERATOR_USERS: line });
  assert.equal(settings.users[0].name, "kari");
  assert.equal(
    await verifyPassword("a long enough password", settings.users[0].password),
    true,
  );
});
