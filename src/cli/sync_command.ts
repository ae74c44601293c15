/**
 * `deno task sync`: read the exports, validate, map and send them, print a
 * short summary, and optionally write a JSON report.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ENVIRONMENTS } from "../config/environments.ts";
import {
  loadSettings,
  type SettingName,
  type Settings,
  SettingsError,
} from "../config/settings.ts";
import { type ClientEvent, HelsenorgeClient } from "../helsenorge/client.ts";
import { InputError } from "../input/problem.ts";
import { readMembers } from "../input/read_members.ts";
import { readOfferings } from "../input/offerings.ts";
import { dryRunTarget } from "../sync/dry_run.ts";
import { ExitCode, type SyncReport } from "../sync/report.ts";
import { type BundleTarget, clientTarget, runSync } from "../sync/sync.ts";
import { startMock } from "../../mock-helsenorge/server.ts";
import { createMockAuth, type MockAuth } from "../../mock-helsenorge/auth.ts";
import {
  AUTH_FLAG_OPTIONS,
  createAuthorizerFor,
  describeAuth,
  prepareAuth,
  type PreparedAuth,
} from "../auth/setup.ts";
import { progressPrinter } from "./progress.ts";
import { formatSummary } from "./summary.ts";

export const SYNC_HELP = `Send health offerings and a member list to Helsenorge.

Usage:
  deno task sync --env ENV [--base-url URL] --offerings FILE --members FILE [options]

Options:
  --env NAME             mock | mas-01 | mas-02 | test1 | test2 | prod  (default: mock)
  --base-url URL         API base URL; overrides the environment's. With --env mock
                         and no URL, the bundled mock is started in-process.
  --offerings FILE       offerings JSON (helsetilbud), sent first
  --members FILE         member export: CSV (; , or tab), JSON or NDJSON
  --batch-size N         members per call (default 200)
  --concurrency N        member calls in flight at once (default 2)
  --default-end DATE     end date for rows without one (YYYY-MM-DD or dd.mm.yyyy);
                         without it such rows are rejected
  --header-alias F=NAME  extra header name for a field (nationalId,
                         organizationNumber, start, end); repeatable
  --timeout-offerings MS client timeout for the offerings call (default 10000)
  --timeout-members MS   client timeout per member call (default 15000)
  --max-attempts N       attempts per call, resends included (default 5)
  --report FILE          write a JSON report (counts and every problem, ids masked)
  --dry-run              send nothing; with --out DIR write the bundles instead
  --out DIR              where --dry-run writes its bundles
  --quiet                no progress or retry notices, only the summary
  --auth MODE            none | helseid | sts (default: helseid with the in-process
                         mock, none otherwise); see README, Authentication
  --client-id ID         client id registered with HelseID or Helsenorge STS
  --key-file FILE        private key: PKCS#8 PEM or JWK (or MEDLEMSBRO_KEY_JWK)
  --alg ALG              RS256, PS256, ES256, ... (default: from the key)
  --scope SCOPE          scope asked for (default Helsekontakter)
  --helseid-authority URL  HelseID authority (default: the environment's)
  --token-url URL        token endpoint, overriding the mode's
  --dpop                 ask for DPoP-bound tokens (RFC 9449)
  -h, --help             this text

Exit codes: 0 all done; 1 done, but some rows were rejected; 2 bad usage or
unusable input (nothing sent); 3 could not finish (see the summary).
Every setting can also come from a MEDLEMSBRO_* environment variable
(docs/configuration.md).
`;

const SETTING_FLAGS: Record<string, SettingName> = {
  "env": "env",
  "base-url": "baseUrl",
  "batch-size": "batchSize",
  "concurrency": "concurrency",
  "timeout-offerings": "timeoutOfferingsMs",
  "timeout-members": "timeoutMembersMs",
  "max-attempts": "maxAttempts",
  "default-end": "defaultEnd",
  "header-alias": "headerAliases",
};

/** Run `sync` with the given arguments; returns the exit code. */
export async function syncCommand(args: string[]): Promise<number> {
  const out = (text: string) => Deno.stdout.writeSync(encode(text));
  const err = (text: string) => Deno.stderr.writeSync(encode(text));

  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      options: {
        ...Object.fromEntries(
          Object.keys(SETTING_FLAGS).map((flag) => [flag, {
            type: "string" as const,
            multiple: flag === "header-alias",
          }]),
        ),
        offerings: { type: "string" },
        members: { type: "string" },
        report: { type: "string" },
        "dry-run": { type: "boolean" },
        out: { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        ...AUTH_FLAG_OPTIONS,
      },
    });
  } catch (error) {
    err(`${(error as Error).message}\n\n${SYNC_HELP}`);
    return ExitCode.usage;
  }
  const flags = parsed.values as Record<string, string | string[] | boolean>;
  if (flags.help) {
    out(SYNC_HELP);
    return ExitCode.ok;
  }

  let settings: Settings;
  let auth: PreparedAuth;
  try {
    const settingFlags: Partial<Record<SettingName, string | string[]>> = {};
    for (const [flag, name] of Object.entries(SETTING_FLAGS)) {
      const value = flags[flag];
      if (value !== undefined) settingFlags[name] = value as string;
    }
    settings = loadSettings(settingFlags, Deno.env.toObject());
    auth = await prepareAuth(flags, Deno.env.toObject(), {
      demoClient: settings.env === "mock" && settings.baseUrl === undefined,
    });
  } catch (error) {
    if (error instanceof SettingsError) {
      err(`${error.message}\n`);
      return ExitCode.usage;
    }
    throw error;
  }

  const offeringsPath = flags.offerings as string | undefined;
  const membersPath = flags.members as string | undefined;
  const dryRun = flags["dry-run"] === true;
  const outDir = flags.out as string | undefined;
  const quiet = flags.quiet === true;
  if (!offeringsPath && !membersPath) {
    err("nothing to send: give --offerings FILE, --members FILE or both\n");
    return ExitCode.usage;
  }
  if (outDir !== undefined && !dryRun) {
    err("--out is only used with --dry-run\n");
    return ExitCode.usage;
  }

  const environment = ENVIRONMENTS[settings.env];
  let mock: Awaited<ReturnType<typeof startMock>> | undefined;
  try {
    const offerings = offeringsPath
      ? await readOfferings(offeringsPath)
      : undefined;
    const members = membersPath
      ? await readMembers({ path: membersPath }, {
        headerAliases: settings.headerAliases,
        endColumnOptional: settings.defaultEnd !== undefined,
      })
      : undefined;

    let target: BundleTarget;
    let destination: string;
    if (dryRun) {
      destination = outDir
        ? `dry run, bundles written to ${outDir}`
        : "dry run";
      target = outDir ? await dryRunTarget(outDir) : discardTarget();
    } else {
      let baseUrl = settings.baseUrl ?? environment.baseUrl;
      let mockAuth: MockAuth | undefined;
      if (baseUrl === undefined) {
        if (auth.settings.auth !== "none") {
          mockAuth = await createMockAuth({ requireDpop: auth.settings.dpop });
        }
        mock = await startMock({ port: 0, auth: mockAuth });
        baseUrl = mock.baseUrl;
      }
      destination = `${baseUrl}, ${describeAuth(auth, mock !== undefined)}`;
      const client = new HelsenorgeClient({
        authorize: await createAuthorizerFor(auth, {
          baseUrl,
          helseIdAuthority: mock?.url ?? environment.helseIdAuthority,
          mockAuth,
        }),
        baseUrl,
        timeouts: {
          offerings: settings.timeoutOfferingsMs,
          members: settings.timeoutMembersMs,
        },
        retry: { maxAttempts: settings.maxAttempts },
        onEvent: quiet ? undefined : (event) => err(describeEvent(event)),
      });
      target = clientTarget(client);
    }

    if (!quiet) {
      err(`Medlemsbro: ${settings.env} (${destination})\n`);
      if (members?.transcoded) {
        err(
          `Note: ${membersPath} is not UTF-8; it was read as Windows-1252 (a spreadsheet's legacy encoding).\n`,
        );
      }
    }

    const progress = quiet ? undefined : progressPrinter(Deno.stderr);
    const report = await runSync({
      target,
      offerings,
      members: members?.entries,
      rules: {
        allowSynthetic: environment.allowSynthetic,
        defaultEnd: settings.defaultEnd,
      },
      batchSize: settings.batchSize,
      concurrency: settings.concurrency,
      environment: settings.env,
      dryRun,
      input: members && {
        format: members.format,
        encoding: members.encoding,
        delimiter: members.delimiter,
      },
      onProgress: progress?.update,
    });
    progress?.done();

    if (typeof flags.report === "string") {
      await writeReport(flags.report, report);
    }
    out(formatSummary(report, { membersPath, reportPath: flags.report }));
    return report.exitCode;
  } catch (error) {
    if (error instanceof SettingsError) {
      err(`${error.message}\n`);
      return ExitCode.usage;
    }
    if (error instanceof InputError) {
      err(`Could not read ${error.source}: ${error.message}\n`);
      return ExitCode.usage;
    }
    if (error instanceof Deno.errors.NotFound) {
      err(`${(error as Error).message}\n`);
      return ExitCode.usage;
    }
    throw error;
  } finally {
    await mock?.close();
  }
}

async function writeReport(path: string, report: SyncReport): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(report, null, 2) + "\n", {
    mode: 0o600,
  });
}

function discardTarget(): BundleTarget {
  const nothing = () => Promise.resolve(undefined);
  return { offerings: nothing, members: nothing };
}

function describeEvent(event: ClientEvent): string {
  if (event.type === "retry") {
    return `Resending ${event.step} call (attempt ${
      event.attempt + 1
    }) in ${event.delayMs} ms: ${event.reason}\n`;
  }
  return "";
}

function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
