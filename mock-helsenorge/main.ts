/**
 * `deno task mock`: run the mock Helsenorge API on 127.0.0.1 until Ctrl-C.
 *
 * ```sh
 * deno task mock --port 8787 --not-consented-fraction 0.2 --not-consented ids.txt
 * deno task mock --client-id my-client --client-key .keys/public.jwk.json
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { calculateJwkThumbprint, exportJWK, importSPKI, type JWK } from "jose";
import { createMockAuth } from "./auth.ts";
import { DEFAULT_CONSENT } from "./consent.ts";
import { startMock, type StartMockOptions } from "./server.ts";

const USAGE = `Usage: deno task mock [options]

  --port N                      port on 127.0.0.1 (default 8787; 0 = any free port)
  --base-path PATH              API path (default /helsekontakter/api/v1)
  --not-consented-fraction F    share of ids treated as not consented, 0..1 (default ${DEFAULT_CONSENT.notConsentedFraction})
  --consent-key KEY             HMAC key of that rule (default "${DEFAULT_CONSENT.consentKey}")
  --not-consented FILE|LIST     ids never consented: a file (one per line or comma separated) or a comma list
  --production                  refuse synthetic Test Norge ids, as production does

Token endpoints (POST /connect/token for HelseID, POST /sts/Token for the STS):
  --auth                        require access tokens on the API (implied by --client-id)
  --client-id ID                register a client with this id
  --client-key FILE             the client's public key: a public JWK (public.jwk.json)
                                or an SPKI PEM (public.pem), as \`deno task keys\` writes
  --scope SCOPES                scopes the client may ask for (default Helsekontakter)
  --require-dpop                require DPoP-bound tokens and nonces (the client needs --dpop)
  --token-ttl SECONDS           lifetime of issued access tokens (default 300)

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
      auth: { type: "boolean", default: false },
      "client-id": { type: "string" },
      "client-key": { type: "string" },
      scope: { type: "string" },
      "require-dpop": { type: "boolean", default: false },
      "token-ttl": { type: "string" },
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

  const clientId = values["client-id"];
  const clientKey = values["client-key"];
  const wantsAuth = values.auth || values["require-dpop"] ||
    values["token-ttl"] !== undefined || clientId !== undefined ||
    clientKey !== undefined || values.scope !== undefined;
  if (wantsAuth) {
    if (clientId === undefined || clientKey === undefined) {
      throw new TypeError(
        "the token endpoints need a client: give --client-id ID and --client-key FILE",
      );
    }
    const tokenTtl = values["token-ttl"] === undefined
      ? undefined
      : toNumber(values["token-ttl"], "--token-ttl");
    if (
      tokenTtl !== undefined && !(Number.isInteger(tokenTtl) && tokenTtl >= 1)
    ) {
      throw new TypeError(
        "--token-ttl must be a whole number of seconds, at least 1",
      );
    }
    options.auth = await createMockAuth({
      requireDpop: values["require-dpop"],
      tokenLifetimeSeconds: tokenTtl,
      clients: [{
        clientId,
        jwks: [await readPublicKey(clientKey)],
        // Left out when not given: an undefined would hide the default.
        ...(values.scope === undefined
          ? {}
          : { scopes: values.scope.split(" ").filter((s) => s !== "") }),
      }],
    });
  }
  return options;
}

/**
 * A client's public key from a file: a public JWK, or an SPKI PEM given the
 * RFC 7638 thumbprint as `kid`, as `deno task keys` names its keys. A
 * private key is refused, and no message quotes the file.
 */
async function readPublicKey(path: string): Promise<JWK> {
  let text: string;
  try {
    text = (await Deno.readTextFile(path)).trim();
  } catch (error) {
    throw new TypeError(
      `--client-key ${path}: ${
        error instanceof Deno.errors.NotFound
          ? "no such file"
          : "cannot be read"
      }`,
    );
  }
  const refuse = (why: string) => new TypeError(`--client-key ${path}: ${why}`);
  if (text.startsWith("{")) {
    let jwk: JWK;
    try {
      jwk = JSON.parse(text);
    } catch {
      throw refuse("is not valid JSON");
    }
    if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) {
      throw refuse("must be one JWK object");
    }
    if ("d" in jwk) {
      throw refuse("is a private key; give the public one (public.jwk.json)");
    }
    if (jwk.kty !== "RSA" && jwk.kty !== "EC") {
      throw refuse("must be an RSA or EC public key");
    }
    return jwk;
  }
  if (/^-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(text)) {
    throw refuse("is a private key; give the public one (public.pem)");
  }
  if (!text.startsWith("-----BEGIN PUBLIC KEY-----")) {
    throw refuse("is neither a public JWK nor a PEM public key (SPKI)");
  }
  // importSPKI needs an algorithm; any one of the key's type will do, since
  // only the exported JWK (with no alg) is kept.
  for (const alg of ["RS256", "ES256", "ES384"]) {
    try {
      const key = await importSPKI(text, alg, { extractable: true });
      const jwk = await exportJWK(key);
      return { ...jwk, kid: await calculateJwkThumbprint(jwk) };
    } catch {
      // Not this key type; try the next.
    }
  }
  throw refuse("holds no RSA or EC P-256/P-384 public key");
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
  if (options.auth) {
    const dpop = options.auth.stats().requireDpop ? ", DPoP required" : "";
    write(
      Deno.stdout,
      `Token endpoints: ${mock.url}/connect/token (HelseID, authority ${mock.url}) and ${mock.url}/sts/Token (STS); 1 client registered${dpop}\n`,
    );
  }
  const stop = () => {
    mock.close().then(() => Deno.exit(0));
  };
  Deno.addSignalListener("SIGINT", stop);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", stop);
}
