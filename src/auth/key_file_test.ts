import assert from "node:assert/strict";
import { SettingsError } from "../config/settings.ts";
import { generateSigningKeyPair } from "./keys.ts";
import { KeyFileError, MAX_KEY_FILE_BYTES, readKeyFile } from "./key_file.ts";
import { loadAuthKey } from "./settings.ts";

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readKeyFile() reads a regular file, also through a symlink", async () => {
  await inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/key.json`, "{}");
    await Deno.symlink(`${dir}/key.json`, `${dir}/link.json`);
    assert.equal(await readKeyFile(`${dir}/key.json`), "{}");
    assert.equal(await readKeyFile(`${dir}/link.json`), "{}");
  });
});

Deno.test("readKeyFile() refuses a directory, a device and a FIFO without blocking", async () => {
  await inTempDir(async (dir) => {
    const fifo = `${dir}/key.fifo`;
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.equal(made.code, 0, "mkfifo");
    const cases: [string, RegExp][] = [
      [dir, /^is a directory; give the key file itself/],
      ["/dev/null", /^is not a regular file \(a FIFO, socket or device\)/],
      // Opening a FIFO blocks until a writer comes: this would hang.
      [fifo, /^is not a regular file \(a FIFO, socket or device\)/],
    ];
    for (const [path, reason] of cases) {
      const error = await readKeyFile(path).catch((e) => e);
      assert.ok(error instanceof KeyFileError, `${path}: ${error}`);
      assert.match(error.reason, reason);
    }
  });
});

Deno.test("readKeyFile() refuses a file over 1 MiB from its size, before reading it", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/huge.json`;
    // Sparse: 200 MB that take no disk space.
    await Deno.writeTextFile(path, "");
    await Deno.truncate(path, 200 * 1024 * 1024);
    const error = await readKeyFile(path).catch((e) => e);
    assert.ok(error instanceof KeyFileError);
    assert.equal(
      error.reason,
      "is 209715200 bytes, more than the 1 MiB a key file may be; is it the right file?",
    );

    await Deno.truncate(path, MAX_KEY_FILE_BYTES);
    assert.equal((await readKeyFile(path)).length, MAX_KEY_FILE_BYTES);
    const small = await readKeyFile(path, { maxBytes: 10 }).catch((e) => e);
    assert.match(small.reason, /more than the 10 bytes/);
  });
});

Deno.test("loadAuthKey() names --key-file with why a path is no key file", async () => {
  await inTempDir(async (dir) => {
    await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
    await Deno.writeTextFile(`${dir}/big.json`, "");
    await Deno.truncate(`${dir}/big.json`, 2 * MAX_KEY_FILE_BYTES);
    const cases: [string, string][] = [
      [dir, "is a directory; give the key file itself"],
      [`${dir}/fifo`, "is not a regular file (a FIFO, socket or device)"],
      [`${dir}/big.json`, "is 2097152 bytes, more than the 1 MiB"],
      [`${dir}/missing.json`, "no such file"],
    ];
    for (const [path, reason] of cases) {
      const error = await loadAuthKey({ keyFile: path }).catch((e) => e);
      assert.ok(error instanceof SettingsError, String(error));
      assert.ok(
        error.issues[0].startsWith(
          `--key-file (MEDLEMSBRO_KEY_FILE) ${path}: ${reason}`,
        ),
        error.issues[0],
      );
    }
  });
});

Deno.test("loadAuthKey() says a public key PEM is a public key and the private key is needed", async () => {
  await inTempDir(async (dir) => {
    const pair = await generateSigningKeyPair("ES256");
    await Deno.writeTextFile(`${dir}/public.pem`, pair.publicPem);
    const error = await loadAuthKey({ keyFile: `${dir}/public.pem` }).catch((
      e,
    ) => e);
    assert.ok(error instanceof SettingsError, String(error));
    assert.equal(
      error.issues[0],
      `--key-file (MEDLEMSBRO_KEY_FILE) ${dir}/public.pem is a public key; the private key (a PKCS#8 PEM or a private JWK) is needed to sign`,
    );
    assert.doesNotMatch(error.message, /openssl/);
  });
});
