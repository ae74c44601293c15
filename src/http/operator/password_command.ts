/**
 * `deno task operator-password NAME`: read a password from standard input
 * and print the `NAME:pbkdf2-sha256$...` entry for
 * `MEDLEMSBRO_OPERATOR_USERS`. The password is never an argument (it would
 * land in the shell history and the process list).
 *
 * @example
 * ```sh
 * read -rs PW && printf '%s' "$PW" | deno task operator-password kari
 * ```
 *
 * @module
 */

import { hashPassword } from "./password.ts";

const encoder = new TextEncoder();

async function main(args: string[]): Promise<number> {
  const name = args[0] ?? "";
  if (!/^[\p{L}\p{N}._@-]{1,64}$/u.test(name) || args.length !== 1) {
    await Deno.stderr.write(encoder.encode(
      "usage: printf '%s' \"$PASSWORD\" | deno task operator-password NAME\n" +
        "NAME: 1-64 letters, digits, . _ @ -\n",
    ));
    return 2;
  }
  const text = await new Response(Deno.stdin.readable).text();
  const password = text.replace(/\r?\n$/, "");
  if (password.length < 12) {
    await Deno.stderr.write(
      encoder.encode("the password must be at least 12 characters long\n"),
    );
    return 2;
  }
  await Deno.stdout.write(
    encoder.encode(`${name}:${await hashPassword(password)}\n`),
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
