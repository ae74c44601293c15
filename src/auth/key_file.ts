/**
 * Reading a key file safely: the path is looked at before it is opened, so
 * a FIFO (which would block the open until someone writes), a device, a
 * directory or a huge file is refused with a message saying which, and only
 * a bounded amount is ever read.
 *
 * @example
 * ```ts
 * const text = await readKeyFile("/etc/medlemsbro/private.jwk.json");
 * ```
 *
 * @module
 */

/** Larger than any RSA or EC key in PEM or JWK form (an 8192-bit RSA JWK is ~6 KiB). */
export const MAX_KEY_FILE_BYTES = 1024 * 1024;

/** Why a key file was refused, in words that are safe to show. */
export class KeyFileError extends Error {
  override name = "KeyFileError";
  /** "is a directory", "is 209715200 bytes; ...": follows the file's name. */
  readonly reason: string;

  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

/** Options for {@linkcode readKeyFile}. */
export interface ReadKeyFileOptions {
  /** @default MAX_KEY_FILE_BYTES (1 MiB) */
  maxBytes?: number;
}

/**
 * Read a key file as text after checking that it is a regular file of at
 * most `maxBytes`.
 *
 * @throws {KeyFileError} for a directory, a FIFO, socket or device, or a
 * file that is too large.
 * @throws {Deno.errors.NotFound | Deno.errors.PermissionDenied} as `Deno.stat`
 * and `Deno.open` do.
 */
export async function readKeyFile(
  path: string,
  options: ReadKeyFileOptions = {},
): Promise<string> {
  const { maxBytes = MAX_KEY_FILE_BYTES } = options;

  // stat, not lstat: a symlink to a key file is a normal way to install one.
  checkInfo(await Deno.stat(path), maxBytes);

  using file = await Deno.open(path, { read: true });
  // The path may have been swapped between stat and open: check the file
  // actually opened.
  checkInfo(await file.stat(), maxBytes);

  const buffer = new Uint8Array(maxBytes + 1);
  let length = 0;
  while (length < buffer.length) {
    const read = await file.read(buffer.subarray(length));
    if (read === null) break;
    length += read;
  }
  if (length > maxBytes) throw tooLarge(length, maxBytes);
  return new TextDecoder().decode(buffer.subarray(0, length));
}

function checkInfo(info: Deno.FileInfo, maxBytes: number): void {
  if (info.isDirectory) {
    throw new KeyFileError(
      "is a directory; give the key file itself (such as private.jwk.json)",
    );
  }
  if (!info.isFile) {
    throw new KeyFileError(
      "is not a regular file (a FIFO, socket or device); give the key file itself",
    );
  }
  if (info.size > maxBytes) throw tooLarge(info.size, maxBytes);
}

function tooLarge(size: number, maxBytes: number): KeyFileError {
  const limit = maxBytes === MAX_KEY_FILE_BYTES ? "1 MiB" : `${maxBytes} bytes`;
  return new KeyFileError(
    `is ${size} bytes, more than the ${limit} a key file may be; is it the right file?`,
  );
}
