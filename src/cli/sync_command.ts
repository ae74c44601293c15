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
import type { ClientEvent } from "../helsenorge/client.ts";
import { errorMessage, MedlemsbroError } from "../errors.ts";
import { InputError } from "../input/problem.ts";
import { readOfferings } from "../input/offerings.ts";
import { readMembers } from "../input/read_members.ts";
import { openStateStore, type StateStore } from "../state/store.ts";
import { defaultStatePath } from "../state/state_path.ts";
import { discardTarget, dryRunTarget } from "../sync/dry_run.ts";
import { ExitCode, type SyncReport } from "../sync/report.ts";
import { retryDueMembers } from "../sync/retry_due.ts";
import { syncLease } from "../sync/run_scope.ts";
import { type BundleTarget, clientTarget, runSync } from "../sync/sync.ts";
import {
  AUTH_FLAG_OPTIONS,
  prepareAuth,
  type PreparedAuth,
} from "../auth/setup.ts";
import {
  connect,
  type Connection,
  usesInProcessMock,
} from "../helsenorge/connect.ts";
import { progressPrinter } from "./progress.ts";
import { formatSummary } from "./summary.ts";
import { terminalSafe } from "./terminal.ts";
import { syncTuning } from "../sync/tuning.ts";

export const SYNC_HELP = `Send health offerings and a member list to Helsenorge.

Usage:
  deno task sync --env ENV [--base-url URL] --offerings FILE --members FILE [options]
  deno task sync --env ENV --retry-due          send members whose retry is due

Options:
  --env NAME             mock | mas-01 | mas-02 | test1 | test2 | prod  (default: mock)
  --base-url URL         API base URL; overrides the environment's. With --env mock
                         and no URL, the bundled mock is started in-process.
  --offerings FILE       offerings JSON (helsetilbud), sent first
  --members FILE         member export: CSV (; , or tab), JSON or NDJSON
  --full                 the export is the whole member list: end the memberships
                         of members absent from it
  --allow-mass-end       let --full end more than --max-end-share of an organization
  --max-end-share SHARE  most of an organization --full may end in one run (default 20%)
  --force                send every member, also those Helsenorge already holds
  --retry-due            send only members whose retry is due (not consented, failed)
  --state PATH           state store (default .medlemsbro/ENV.sqlite; "none" for no
                         state; in memory for the in-process mock)
  --state-write-behind N member records held before they are written sorted
                         (default 50000, at most 100000); a crash resends
                         their batches
  --batch-size N         members per call to start from (default 200)
  --min-batch-size N     smallest batch the size may shrink to when calls are
                         slow or time out (default 10)
  --max-batch-size N     largest batch the size may grow back to when calls are
                         fast (default: --batch-size)
  --target-latency MS    a member call slower than this halves the batch size;
                         under half of it grows the size (default 8000)
  --breaker-failures N   member calls in a row without an answer (after every
                         resend) that stop the run, exit 3; the next run resumes
                         (default 3)
  --concurrency N        member calls in flight at once (default 2)
  --default-end DATE     end date for rows without one (YYYY-MM-DD or dd.mm.yyyy);
                         without it such rows are rejected
  --header-alias F=NAME  extra header name for a field (nationalId,
                         organizationNumber, start, end); repeatable
  --encoding NAME        read the member file as utf-8, windows-1252, utf-16le or
                         utf-16be instead of detecting it
  --timeout-offerings MS client timeout for the offerings call (default 10000)
  --timeout-members MS   client timeout per member call (default 15000)
  --max-attempts N       attempts per call, resends included (default 5)
  --lease-ttl MS         how long a crashed run blocks the next (default 60000)
  --report FILE          write a JSON report (counts and every problem, ids masked)
  --dry-run              send nothing and keep no state; with --out DIR write the
                         bundles instead
  --out DIR              where --dry-run writes its bundles
  --auth MODE            none | helseid | sts (default: helseid with the in-process
                         mock, none otherwise); see README, Authentication
  --client-id ID         client id registered with HelseID or Helsenorge STS
  --key-file FILE        private key: PKCS#8 PEM or JWK (or MEDLEMSBRO_KEY_JWK)
  --alg ALG              RS256, PS256, ES256, ... (default: from the key)
  --scope SCOPE          scope asked for (default Helsekontakter)
  --helseid-authority URL  HelseID authority (default: the environment's)
  --token-url URL        token endpoint, overriding the mode's
  --dpop                 ask for DPoP-bound tokens (RFC 9449)
  --quiet                no progress or retry notices, only the summary
  -h, --help             this text

Exit codes: 0 all done; 1 done, but some rows were rejected; 2 bad usage or
unusable input (nothing sent); 3 could not finish (see the summary); 4 another
run is in progress (nothing sent).
Every setting can also come from a MEDLEMSBRO_* environment variable
(docs/configuration.md).
`;

const SETTING_FLAGS: Record<string, SettingName> = {
  "env": "env",
  "base-url": "baseUrl",
  "batch-size": "batchSize",
  "min-batch-size": "minBatchSize",
  "max-batch-size": "maxBatchSize",
  "target-latency": "targetLatencyMs",
  "breaker-failures": "breakerFailures",
  "concurrency": "concurrency",
  "timeout-offerings": "timeoutOfferingsMs",
  "timeout-members": "timeoutMembersMs",
  "max-attempts": "maxAttempts",
  "default-end": "defaultEnd",
  "header-alias": "headerAliases",
  "encoding": "encoding",
  "state": "statePath",
  "state-write-behind": "stateWriteBehind",
  "max-end-share": "maxEndShare",
  "lease-ttl": "leaseTtlMs",
};

const FILE_FLAGS = ["offerings", "members", "report", "out"] as const;

/** Run `sync` with the given arguments; returns the exit code. */
export async function syncCommand(args: string[]): Promise<number> {
  const encoder = new TextEncoder();
  const out = (text: string) =>
    Deno.stdout.writeSync(encoder.encode(terminalSafe(text)));
  const err = (text: string) =>
    Deno.stderr.writeSync(encoder.encode(terminalSafe(text)));

  let flags: Record<string, string | string[] | boolean | undefined>;
  try {
    flags = parseArgs({
      args,
      strict: true,
      options: {
        ...Object.fromEntries(
          Object.keys(SETTING_FLAGS).map((flag) => [flag, {
            type: "string" as const,
            multiple: flag === "header-alias",
          }]),
        ),
        ...Object.fromEntries(
          FILE_FLAGS.map((flag) => [flag, {
            type: "string" as const,
            multiple: true,
          }]),
        ),
        full: { type: "boolean" },
        "allow-mass-end": { type: "boolean" },
        force: { type: "boolean" },
        "retry-due": { type: "boolean" },
        "dry-run": { type: "boolean" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        ...AUTH_FLAG_OPTIONS,
      },
    }).values;
  } catch (error) {
    err(`${(error as Error).message}\n\n${SYNC_HELP}`);
    return ExitCode.usage;
  }
  if (flags.help) {
    out(SYNC_HELP);
    return ExitCode.ok;
  }

  const files: Partial<Record<typeof FILE_FLAGS[number], string>> = {};
  for (const flag of FILE_FLAGS) {
    const given = flags[flag] as string[] | undefined;
    if (given && given.length > 1) {
      err(`--${flag} is given ${given.length} times; give it once\n`);
      return ExitCode.usage;
    }
    files[flag] = given?.[0];
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
      demoClient: usesInProcessMock(settings),
    });
  } catch (error) {
    if (error instanceof SettingsError) {
      err(`${error.message}\n`);
      return ExitCode.usage;
    }
    throw error;
  }

  const dryRun = flags["dry-run"] === true;
  const retryDue = flags["retry-due"] === true;
  const quiet = flags.quiet === true;
  const usage = checkUsage(files, { dryRun, retryDue, flags });
  if (usage) {
    err(`${usage}\n`);
    return ExitCode.usage;
  }

  const environment = ENVIRONMENTS[settings.env];
  let connection: Connection | undefined;
  let state: StateStore | undefined;
  // A report file this run made empty, to remove if it stops before a report.
  let claimed: string | undefined;
  try {
    if (files.report && await claimReportPath(files.report, files)) {
      claimed = files.report;
    }
    const offerings = files.offerings
      ? await readOfferings(files.offerings)
      : undefined;
    const members = files.members
      ? await readMembers({ path: files.members }, {
        headerAliases: settings.headerAliases,
        encoding: settings.encoding,
        endColumnOptional: settings.defaultEnd !== undefined,
      })
      : undefined;

    let target: BundleTarget;
    let destination: string;
    if (dryRun) {
      destination = files.out
        ? `dry run, bundles written to ${files.out}`
        : "dry run";
      target = files.out ? await dryRunTarget(files.out) : discardTarget();
    } else {
      connection = await connect(settings, auth, {
        onEvent: quiet ? undefined : (event) => err(describeEvent(event)),
      });
      destination = connection.description;
      state = await openState(settings, {
        inProcessMock: connection.mock !== undefined,
      });
      const client = connection.client;
      target = clientTarget(client);
    }

    if (!quiet) {
      err(`Medlemsbro: ${settings.env} (${destination})\n`);
      if (members?.transcoded) {
        err(
          `Note: ${files.members} is not UTF-8; it was read as ${members.encoding}.\n`,
        );
      }
    }

    const lease = syncLease(settings, `cli:${Deno.pid}`);
    const progress = quiet ? undefined : progressPrinter(Deno.stderr);
    const report = retryDue
      ? await retryDueMembers({
        state: state!,
        target: (bundle) => target.members(bundle),
        batchSize: settings.batchSize,
        concurrency: settings.concurrency,
        lease,
        trigger: "cli",
        environment: settings.env,
        destination,
      })
      : await runSync({
        target,
        offerings,
        members: members?.entries,
        rules: {
          allowSynthetic: environment.allowSynthetic,
          defaultEnd: settings.defaultEnd,
        },
        state,
        full: flags.full === true,
        force: flags.force === true,
        maxEndShare: settings.maxEndShare,
        allowMassEnd: flags["allow-mass-end"] === true,
        lease,
        trigger: "cli",
        ...syncTuning(settings),
        environment: settings.env,
        destination,
        dryRun,
        input: members && {
          format: members.format,
          encoding: members.encoding,
          delimiter: members.delimiter,
        },
        onProgress: progress?.update,
      });
    progress?.done();

    let exitCode = report.exitCode;
    if (files.report) {
      claimed = undefined;
      try {
        await writeReport(files.report, report);
      } catch (error) {
        err(
          `Could not write the report to ${files.report}: ${
            errorMessage(error)
          }\n`,
        );
        exitCode = Math.max(exitCode, ExitCode.incomplete) as ExitCode;
      }
    }
    out(formatSummary(report, {
      membersPath: files.members,
      reportPath: files.report,
    }));
    return exitCode;
  } catch (error) {
    if (claimed) await Deno.remove(claimed).catch(() => {});
    if (error instanceof SettingsError) {
      err(`${error.message}\n`);
      return ExitCode.usage;
    }
    if (error instanceof InputError) {
      err(`Could not read the input: ${error.message}\n`);
      return ExitCode.usage;
    }
    if (isFileError(error) || isStateSetupError(error)) {
      err(`${errorMessage(error)}\n`);
      return ExitCode.usage;
    }
    throw error;
  } finally {
    state?.close();
    await connection?.close();
  }
}

function checkUsage(
  files: Partial<Record<typeof FILE_FLAGS[number], string>>,
  { dryRun, retryDue, flags }: {
    dryRun: boolean;
    retryDue: boolean;
    flags: Record<string, unknown>;
  },
): string | undefined {
  if (retryDue) {
    if (files.offerings || files.members) {
      return "--retry-due sends members from the state store; give no --offerings or --members with it";
    }
    if (dryRun) return "--retry-due cannot be a dry run";
    return undefined;
  }
  if (!files.offerings && !files.members) {
    return "nothing to send: give --offerings FILE, --members FILE or both";
  }
  if (files.out !== undefined && !dryRun) {
    return "--out is only used with --dry-run";
  }
  if (flags.full && !files.members) return "--full needs --members FILE";
  if (flags["allow-mass-end"] && !flags.full) {
    return "--allow-mass-end is only used with --full";
  }
  return undefined;
}

/**
 * Make sure the report can be written before anything is sent, and that it
 * would not overwrite an input file. Whether it made the (empty) file.
 */
async function claimReportPath(
  path: string,
  files: Partial<Record<typeof FILE_FLAGS[number], string>>,
): Promise<boolean> {
  const real = await Deno.realPath(path).catch(() => undefined);
  for (const input of [files.members, files.offerings]) {
    if (!input || real === undefined) continue;
    const inputReal = await Deno.realPath(input).catch(() => undefined);
    if (inputReal === real) {
      throw new Deno.errors.AlreadyExists(
        `--report ${path} is the input file ${input}; choose another report path`,
      );
    }
  }
  try {
    const file = await Deno.open(path, {
      write: true,
      create: true,
      mode: 0o600,
    });
    file.close();
  } catch (error) {
    throw new Deno.errors.PermissionDenied(
      `--report ${path} cannot be written (${errorMessage(error)})`,
    );
  }
  return real === undefined;
}

async function openState(
  settings: Settings,
  { inProcessMock }: { inProcessMock: boolean },
): Promise<StateStore | undefined> {
  const path = settings.statePath ??
    (inProcessMock ? ":memory:" : defaultStatePath(settings.env));
  if (path === "none") return undefined;
  const secret = Deno.env.get("MEDLEMSBRO_ID_KEY_SECRET");
  return await openStateStore({
    path,
    idKeySecret: secret ? new TextEncoder().encode(secret) : undefined,
    environment: settings.env,
    writeBehind: settings.stateWriteBehind,
  });
}

async function writeReport(path: string, report: SyncReport): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(report, null, 2) + "\n", {
    mode: 0o600,
  });
}

function describeEvent(event: ClientEvent): string {
  if (event.type === "retry") {
    return `Resending ${event.step} call (attempt ${
      event.attempt + 1
    }) in ${event.delayMs} ms: ${event.reason}\n`;
  }
  return "";
}

function isFileError(error: unknown): error is Error {
  return error instanceof Deno.errors.NotFound ||
    error instanceof Deno.errors.AlreadyExists ||
    error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.IsADirectory ||
    error instanceof Deno.errors.NotADirectory ||
    error instanceof Deno.errors.NotCapable;
}

/** The state store could not be opened as configured (path, secret, environment). */
function isStateSetupError(error: unknown): boolean {
  return error instanceof MedlemsbroError &&
    error.code.startsWith("ERR_STATE_");
}
