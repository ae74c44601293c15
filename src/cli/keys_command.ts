/**
 * `deno task keys --out DIR`: make a key pair to register a client with
 * HelseID or Helsenorge's STS. Writes the private JWK (mode 0600, in a
 * directory only its owner may use: made 0700, or refused when others can
 * read or write it), the public JWK and the public PEM; never through a
 * symbolic link, even with `--force`. Prints the file names and the key id,
 * never the private key.
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
  --out DIR   where to write: created with mode 0700, or an existing
              directory only its owner may use (0700); symbolic links at
              the file paths are refused
  --alg ALG   ${SIGNING_ALGS.join(", ")} (default RS256, 3072-bit RSA)
  --force     replace existing files (never a symbolic link)
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
    const problem = await preparePrivateDir(dir) ??
      await checkOutputFiles(Object.values(files), values.force);
    if (problem !== undefined) {
      err(`${problem}\n`);
      return ExitCode.usage;
    }
    const pair = await generateSigningKeyPair(alg as SigningAlg);
    // The private file is created 0600 from the start, so it is never
    // readable by others, not even for a moment.
    await writeNew(
      files.private,
      JSON.stringify(pair.privateJwk, null, 2) + "\n",
      { mode: 0o600, replace: values.force },
    );
    await writeNew(
      files.publicJwk,
      JSON.stringify(pair.publicJwk, null, 2) + "\n",
      { mode: 0o644, replace: values.force },
    );
    await writeNew(files.publicPem, pair.publicPem, {
      mode: 0o644,
      replace: values.force,
    });
    out(
      `Key pair written (${alg}, kid ${pair.kid}):\n` +
        `  private key: ${files.private} (mode 0600; keep it secret)\n` +
        `  public JWK:  ${files.publicJwk} (upload to HelseID self-service)\n` +
        `  public PEM:  ${files.publicPem} (for a Helsenorge STS registration)\n`,
    );
    return ExitCode.ok;
  } catch (error) {
    const why = error instanceof Deno.errors.AlreadyExists
      ? "a file appeared at one of the paths while writing"
      : (error as Error).name;
    err(`Could not write the keys to ${dir}: ${why}\n`);
    return ExitCode.usage;
  }
}

/**
 * Create `dir` (mode 0700), or check that an existing one is a directory
 * only its owner can use. An existing directory that others can read or
 * write is refused rather than tightened: it was not made here, and other
 * things may rely on its mode; anyone who can write to it could replace
 * the key files or put links in their place. Returns the problem, if any.
 */
async function preparePrivateDir(dir: string): Promise<string | undefined> {
  let info = await statOrUndefined(dir);
  if (info === undefined) {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    info = await Deno.stat(dir);
  }
  if (!info.isDirectory) return `${dir} exists and is not a directory`;
  const mode = info.mode;
  if (mode !== null && (mode & 0o077) !== 0) {
    return `${dir} can be read or written by group or others (mode ${
      (mode & 0o777).toString(8).padStart(4, "0")
    }); a private key's directory must be its owner's alone: run chmod 700 ${dir}, or give a new directory`;
  }
  return undefined;
}

/**
 * Refuse a symbolic link at any output path, even with `--force` (writing
 * through it would put the key wherever it points), anything that is not a
 * regular file, and without `--force` an existing file.
 */
async function checkOutputFiles(
  paths: string[],
  force: boolean,
): Promise<string | undefined> {
  const found = await Promise.all(paths.map(lstatOrUndefined));
  for (const [i, info] of found.entries()) {
    if (info?.isSymlink) {
      return `${
        paths[i]
      } is a symbolic link; no key is written through a link: remove it and run again`;
    }
  }
  for (const [i, info] of found.entries()) {
    if (info === undefined) continue;
    if (!info.isFile) return `${paths[i]} exists and is not a regular file`;
    if (!force) return `${paths[i]} exists; use --force to replace it`;
  }
  return undefined;
}

/**
 * Write a file that does not exist yet (O_CREAT|O_EXCL): with `replace`
 * (`--force`) an existing regular file is removed first; a file or link
 * that appears in the meantime makes the write fail rather than be
 * followed.
 */
async function writeNew(
  path: string,
  text: string,
  { mode, replace }: { mode: number; replace: boolean },
): Promise<void> {
  const info = await lstatOrUndefined(path);
  if (replace && info?.isFile) await Deno.remove(path);
  await Deno.writeTextFile(path, text, { createNew: true, mode });
}

async function statOrUndefined(
  path: string,
): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function lstatOrUndefined(
  path: string,
): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
