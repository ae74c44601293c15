/**
 * `deno task mock`: run the mock Helsenorge API on 127.0.0.1 until Ctrl-C.
 *
 * ```sh
 * deno task mock --port 8787 --not-consented-fraction 0.2 --not-consented ids.txt
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DEFAULT_CONSENT } from "./consent.ts";
import { startMock, type StartMockOptions } from "./server.ts";

const USAGE = `Usage: deno task mock [options]

  --port N                      port on 127.0.0.1 (default 8787; 0 = any free port)
  --base-path PATH              API path (default /helsekontakter/api/v1)
  --not-consented-fraction F    share of ids treated as not consented, 0..1 (default ${DEFAULT_CONSENT.notConsentedFraction})
  --consent-key KEY             HMAC key of that rule (default "${DEFAULT_CONSENT.consentKey}")
  --not-consented FILE|LIST     ids never consented: a file (one per line or comma separated) or a comma list
  --production                  refuse synthetic Test Norge ids, as production does
  --help                        show this text
`;

/** Turn command-line flags into {@linkcode startMock} options. */
export async function parseMockArgs(
  args: string[],
): Promise<StartMockOptions | "help"> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: "string", default: "8787" },
      "base-path": { type: "string" },
      "not-consented-fraction": { type: "string" },
      "consent-key": { type: "string" },
      "not-consented": { type: "string" },
      production: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return "help";

  const options: StartMockOptions = {
    port: toNumber(values.port, "--port"),
    production: values.production,
  };
  if (values["base-path"] !== undefined) options.basePath = values["base-path"];
  if (values["not-consented-fraction"] !== undefined) {
    options.notConsentedFraction = toNumber(
      values["not-consented-fraction"],
      "--not-consented-fraction",
    );
  }
  if (values["consent-key"] !== undefined) {
    options.consentKey = values["consent-key"];
  }
  if (values["not-consented"] !== undefined) {
    options.notConsented = await readIdList(values["not-consented"]);
  }
  return options;
}

function toNumber(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) {
    throw new TypeError(`${flag} must be a number, got "${text}"`);
  }
  return value;
}

/**
 * A file of ids (one per line or comma separated; `#` starts a comment) when
 * the argument names a file, otherwise a comma-separated list.
 */
async function readIdList(argument: string): Promise<string[]> {
  let text = argument;
  try {
    text = await Deno.readTextFile(argument);
  } catch (error) {
    if (
      !(error instanceof Deno.errors.NotFound) || !/^[\d,\s]+$/.test(argument)
    ) {
      throw new TypeError(
        `--not-consented must name a readable file or be a comma-separated list of ids`,
      );
    }
  }
  return text
    .split("\n")
    .map((line) => line.replace(/#.*$/, ""))
    .flatMap((line) => line.split(","))
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
}

function write(stream: { writeSync(p: Uint8Array): number }, text: string) {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += stream.writeSync(bytes.subarray(written));
  }
}

if (import.meta.main) {
  let options: StartMockOptions | "help";
  try {
    options = await parseMockArgs(Deno.args);
  } catch (error) {
    write(Deno.stderr, `${(error as Error).message}\n\n${USAGE}`);
    Deno.exit(2);
  }
  if (options === "help") {
    write(Deno.stdout, USAGE);
    Deno.exit(0);
  }
  let mock;
  try {
    mock = await startMock(options);
  } catch (error) {
    write(Deno.stderr, `Cannot start the mock: ${(error as Error).message}\n`);
    Deno.exit(1);
  }
  write(Deno.stdout, `Mock Helsenorge listening on ${mock.baseUrl}\n`);
  const stop = () => {
    mock.close().then(() => Deno.exit(0));
  };
  Deno.addSignalListener("SIGINT", stop);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", stop);
}
