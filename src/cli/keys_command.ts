/**
 * `deno task keys --out DIR`: make a key pair to register a client with
 * HelseID or Helsenorge's STS. Writes the private JWK (mode 0600, in a
 * directory only its owner may enter), the public JWK and the public PEM;
 * prints the file names and the key id, never the private key.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  generateSigningKeyPair,
  SIGNING_ALGS,
  type SigningAlg,
} from "../auth/keys.ts";
import { ExitCode } from "../sync/report.ts";

export const KEYS_HELP =
  `Make a key pair to register Medlemsbro with HelseID or Helsenorge STS.

Usage:
  deno task keys --out DIR [--alg RS256|PS256|ES256|...] [--force]

Writes:
  DIR/private.jwk.json  the private key (JWK with kid): keep it secret; point
                        --key-file (MEDLEMSBRO_KEY_FILE) at it. Mode 0600.
  DIR/public.jwk.json   the public key as JWK: upload it in HelseID's self-service
  DIR/public.pem        the public key as PEM (SPKI): for a Helsenorge STS registration

Options:
  --out DIR   where to write (created, mode 0700)
  --alg ALG   ${SIGNING_ALGS.join(", ")} (default RS256, 3072-bit RSA)
  --force     overwrite existing files
  -h, --help  this text
`;

/** Run `keys`; returns the exit code. */
export async function keysCommand(args: string[]): Promise<number> {
  const out = (text: string) => Deno.stdout.writeSync(encode(text));
  const err = (text: string) => Deno.stderr.writeSync(encode(text));

  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        out: { type: "string" },
        alg: { type: "string", default: "RS256" },
        force: { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    err(`${(error as Error).message}\n\n${KEYS_HELP}`);
    return ExitCode.usage;
  }
  if (values.help) {
    out(KEYS_HELP);
    return ExitCode.ok;
  }
  if (!values.out) {
    err(`--out DIR is required\n\n${KEYS_HELP}`);
    return ExitCode.usage;
  }
  const alg = SIGNING_ALGS.find((known) => known === values.alg);
  if (alg === undefined) {
    err(`--alg must be one of ${SIGNING_ALGS.join(", ")}\n`);
    return ExitCode.usage;
  }

  const dir = values.out.replace(/\/+$/, "") || "/";
  const files = {
    private: `${dir}/private.jwk.json`,
    publicJwk: `${dir}/public.jwk.json`,
    publicPem: `${dir}/public.pem`,
  };
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    if (!values.force) {
      for (const path of Object.values(files)) {
        if (await exists(path)) {
          err(`${path} exists; use --force to replace it\n`);
          return ExitCode.usage;
        }
      }
    }
    const pair = await generateSigningKeyPair(alg as SigningAlg);
    // Create the private file 0600 from the start, so it is never readable
    // by others, not even for a moment; chmod covers an existing file.
    await Deno.writeTextFile(
      files.private,
      JSON.stringify(pair.privateJwk, null, 2) + "\n",
      { mode: 0o600 },
    );
    if (Deno.build.os !== "windows") await Deno.chmod(files.private, 0o600);
    await Deno.writeTextFile(
      files.publicJwk,
      JSON.stringify(pair.publicJwk, null, 2) + "\n",
      { mode: 0o644 },
    );
    await Deno.writeTextFile(files.publicPem, pair.publicPem, { mode: 0o644 });
    out(
      `Key pair written (${alg}, kid ${pair.kid}):\n` +
        `  private key: ${files.private} (mode 0600; keep it secret)\n` +
        `  public JWK:  ${files.publicJwk} (upload to HelseID self-service)\n` +
        `  public PEM:  ${files.publicPem} (for a Helsenorge STS registration)\n`,
    );
    return ExitCode.ok;
  } catch (error) {
    err(`Could not write the keys to ${dir}: ${(error as Error).name}\n`);
    return ExitCode.usage;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
