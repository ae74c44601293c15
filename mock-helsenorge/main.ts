/**
 * `deno task mock`: run the mock Helsenorge API on 127.0.0.1 until Ctrl-C.
 *
 * ```sh
 * deno task mock --port 8787 --not-consented-fraction 0.2 --not-consented ids.txt
 * deno task mock --client-id my-client --client-key .keys/public.jwk.json
 * deno task mock --fault-mix 0.1 --latency normal:300,150 --latency-per-entry 2
 * deno task mock --fault-hang "calls 10-20" --fault-5xx 0.05
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { calculateJwkThumbprint, exportJWK, importSPKI, type JWK } from "jose";
import { createMockAuth } from "./auth.ts";
import { DEFAULT_CONSENT } from "./consent.ts";
import { faultMix, type FaultsInput, parseFaults } from "./faults.ts";
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

Faults (docs/reliability.md); SPEC is a rate ("0.05"), a schedule of call
numbers ("calls 10-20", "calls 3, 7-9"), or both ("0.5 calls 10-20"):
  --faults JSON|FILE            the whole fault configuration, as POST /_mock/config takes it
  --fault-mix RATE              every fault below at RATE in all, with a normal latency
  --fault-seed TEXT             key of the per-call draws (same seed, same faults)
  --fault-5xx SPEC              answer 503 (--fault-status N for another 5xx)
  --fault-429 SPEC              answer 429 with Retry-After (--retry-after S, default 1)
  --fault-hang SPEC             answer nothing for --hang-ms MS (default 20000)
  --fault-reset SPEC            cut the connection instead of answering
  --fault-commit-drop SPEC      store the batch, then cut the connection
  --latency MODEL               member latency: fixed:MS, uniform:MIN-MAX or normal:MEAN,SD
  --latency-per-entry MS        member latency added per entry (14 makes 1000 entries take 14 s)

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
      faults: { type: "string" },
      "fault-mix": { type: "string" },
      "fault-seed": { type: "string" },
      "fault-5xx": { type: "string" },
      "fault-status": { type: "string" },
      "fault-429": { type: "string" },
      "retry-after": { type: "string" },
      "fault-hang": { type: "string" },
      "hang-ms": { type: "string" },
      "fault-reset": { type: "string" },
      "fault-commit-drop": { type: "string" },
      latency: { type: "string" },
      "latency-per-entry": { type: "string" },
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

  const faults = await faultsFromFlags(values);
  if (faults !== undefined) options.faults = faults;

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

/** The fault flags as one configuration, checked; undefined when none given. */
async function faultsFromFlags(
  values: Record<string, string | boolean | undefined>,
): Promise<FaultsInput | undefined> {
  const text = (name: string) => values[name] as string | undefined;
  let faults: Record<string, unknown> | undefined;
  const given = text("faults");
  if (given !== undefined) {
    let json = given;
    if (!given.trim().startsWith("{")) {
      try {
        json = await Deno.readTextFile(given);
      } catch {
        throw new TypeError(`--faults must be JSON or a readable file`);
      }
    }
    try {
      faults = JSON.parse(json);
    } catch {
      throw new TypeError(`--faults ${given.slice(0, 40)}: not valid JSON`);
    }
  }
  const mix = text("fault-mix");
  if (mix !== undefined) {
    faults = {
      ...faultMix(toNumber(mix, "--fault-mix")),
      ...faults,
    } as Record<string, unknown>;
  }

  const set = (key: string, value: Record<string, unknown>) => {
    faults ??= {};
    faults[key] = { ...(faults[key] as object | undefined), ...value };
  };
  const specs: [string, string][] = [
    ["fault-5xx", "serverError"],
    ["fault-429", "tooManyRequests"],
    ["fault-hang", "hang"],
    ["fault-reset", "reset"],
    ["fault-commit-drop", "commitThenDrop"],
  ];
  for (const [flag, key] of specs) {
    const spec = text(flag);
    if (spec !== undefined) set(key, parseSpec(spec, `--${flag}`));
  }
  const status = text("fault-status");
  if (status !== undefined) {
    set("serverError", { status: toNumber(status, "--fault-status") });
  }
  const retryAfter = text("retry-after");
  if (retryAfter !== undefined) {
    set("tooManyRequests", {
      retryAfterSeconds: toNumber(retryAfter, "--retry-after"),
    });
  }
  const hangMs = text("hang-ms");
  if (hangMs !== undefined) set("hang", { ms: toNumber(hangMs, "--hang-ms") });
  const seed = text("fault-seed");
  if (seed !== undefined) (faults ??= {}).seed = seed;

  const latency = text("latency");
  const perEntry = text("latency-per-entry");
  if (latency !== undefined || perEntry !== undefined) {
    faults ??= {};
    const old = (faults.latency ?? {}) as Record<string, object | undefined>;
    faults.latency = {
      ...old,
      members: {
        ...old.members,
        ...(latency === undefined ? {} : parseLatency(latency)),
        ...(perEntry === undefined
          ? {}
          : { perEntryMs: toNumber(perEntry, "--latency-per-entry") }),
      },
    };
  }
  if (faults === undefined) return undefined;
  try {
    parseFaults(faults);
  } catch (error) {
    throw new TypeError((error as Error).message);
  }
  return faults as FaultsInput;
}

/** `0.05`, `calls 10-20` or `0.5 calls 10-20`. */
function parseSpec(spec: string, flag: string): Record<string, unknown> {
  const match = /^\s*(\d*\.?\d+)?\s*(calls\s.+)?$/.exec(spec);
  if (!match || (match[1] === undefined && match[2] === undefined)) {
    throw new TypeError(
      `${flag} must be a rate such as 0.05, a schedule such as "calls 10-20", or both, got "${spec}"`,
    );
  }
  return {
    ...(match[1] === undefined ? {} : { rate: Number(match[1]) }),
    ...(match[2] === undefined ? {} : { calls: match[2].trim() }),
  };
}

/** `fixed:MS`, `uniform:MIN-MAX`, `normal:MEAN,SD`. */
function parseLatency(spec: string): Record<string, unknown> {
  const [kind, args = ""] = spec.split(":");
  const numbers = args.split(/[-,]/).map((n) => toNumber(n, "--latency"));
  if (kind === "fixed" && numbers.length === 1) {
    return { distribution: "fixed", ms: numbers[0] };
  }
  if (kind === "uniform" && numbers.length === 2) {
    return { distribution: "uniform", ms: numbers[0], maxMs: numbers[1] };
  }
  if (kind === "normal" && numbers.length === 2) {
    return { distribution: "normal", ms: numbers[0], sdMs: numbers[1] };
  }
  throw new TypeError(
    `--latency must be fixed:MS, uniform:MIN-MAX or normal:MEAN,SD, got "${spec}"`,
  );
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
  if (options.faults) {
    write(Deno.stdout, `Faults: ${JSON.stringify(options.faults)}\n`);
  }
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
