/**
 * Scheduled jobs (Deno.cron): retry members whose retry is due, and resend
 * the offerings so Helsenorge's copy never drifts. The same code runs under
 * `deno task serve` and on Deno Deploy.
 *
 * An hourly retry tick while another run is going on, in this process (its
 * run gate is busy) or in another (it holds the lease), is skipped with a
 * log line (`job NAME skipped`) and a report with exit code busy: the next
 * tick does the work. The daily offerings tick, whose next tick is a day
 * away, waits its turn in this process's gate instead; only another
 * process's lease makes it skip.
 *
 * @module
 */

import { ENVIRONMENTS } from "../config/environments.ts";
import { readOfferings } from "../input/offerings.ts";
import { loadOfferings } from "../state/offerings.ts";
import { ExitCode, type SyncReport } from "../sync/report.ts";
import { retryDueMembers } from "../sync/retry_due.ts";
import { busyReport, oneRunLease, syncLease } from "../sync/run_scope.ts";
import { runSync } from "../sync/sync.ts";
import type { ServiceContext } from "./context.ts";
import { errorMessage } from "../errors.ts";

/** Cron schedules (UTC), from `MEDLEMSBRO_CRON_RETRY` and `MEDLEMSBRO_CRON_OFFERINGS`. */
export interface Schedules {
  /** @default "15 * * * *" (every hour, a quarter past) */
  retryDue: string;
  /** @default "30 2 * * *" (daily at 02:30 UTC) */
  offerings: string;
}

/** The cron schedules from `env`, with the defaults above for unset ones. */
export function schedulesFrom(
  env: Record<string, string | undefined>,
): Schedules {
  return {
    retryDue: env.MEDLEMSBRO_CRON_RETRY || "15 * * * *",
    offerings: env.MEDLEMSBRO_CRON_OFFERINGS || "30 2 * * *",
  };
}

/** Send every member whose retry is due. */
export async function retryDueJob(
  context: ServiceContext,
): Promise<SyncReport> {
  const { state, target, settings } = context;
  return await asJob(
    context,
    "retry-due",
    { wait: false },
    () =>
      retryDueMembers({
        state,
        target: (bundle) => target.members(bundle),
        batchSize: settings.batchSize,
        concurrency: settings.concurrency,
        lease: cronLease(context),
        trigger: "cron",
        environment: settings.env,
      }),
  );
}

/**
 * Send the offerings again: those Helsenorge last accepted, else the file
 * named by `MEDLEMSBRO_OFFERINGS_FILE`. Without either it does nothing.
 */
export async function resendOfferingsJob(
  context: ServiceContext,
  env: Record<string, string | undefined> = {},
): Promise<SyncReport | undefined> {
  const { state, target, settings, log } = context;
  const offerings = (await loadOfferings(state.kv))?.offerings ??
    (env.MEDLEMSBRO_OFFERINGS_FILE
      ? await readOfferings(env.MEDLEMSBRO_OFFERINGS_FILE)
      : undefined);
  if (!offerings) {
    log.info("job resend-offerings skipped: no offerings known yet");
    return undefined;
  }
  return await asJob(
    context,
    "resend-offerings",
    { wait: true },
    () =>
      runSync({
        target,
        offerings,
        rules: { allowSynthetic: ENVIRONMENTS[settings.env].allowSynthetic },
        state,
        lease: cronLease(context),
        trigger: "cron",
        environment: settings.env,
      }),
  );
}

/** The lease of one job run: `service:ID:cron:RUN`. */
function cronLease(context: ServiceContext) {
  return oneRunLease(syncLease(context.settings, `${context.holder}:cron`));
}

/**
 * Run a job in the process's run gate. Unless `wait`, a tick that finds a
 * run going on or waiting is skipped, as when another process holds the
 * lease.
 */
async function asJob(
  context: ServiceContext,
  name: string,
  options: { wait: boolean },
  work: () => Promise<SyncReport>,
): Promise<SyncReport> {
  const { gate, log, settings } = context;
  const report = gate.busy && !options.wait
    ? busyReport(
      new Date(),
      settings.env,
      "another run of this process is in progress. The next tick does the work",
    )
    : await gate.run(work);
  if (report.exitCode === ExitCode.busy) {
    log.info(`job ${name} skipped`, { stoppedBecause: report.stoppedBecause });
  } else log.info(`job ${name} finished`, summaryOf(report));
  return report;
}

/**
 * Register both jobs. `cron` is injectable for tests; by default it is
 * `Deno.cron`, which Deploy picks up from the module's top level.
 */
export function registerJobs(
  context: Promise<ServiceContext>,
  schedules: Schedules,
  env: Record<string, string | undefined>,
  cron: typeof Deno.cron = Deno.cron,
): void {
  const guarded =
    (name: string, job: (c: ServiceContext) => Promise<unknown>) =>
    async () => {
      const ctx = await context;
      try {
        await job(ctx);
      } catch (error) {
        ctx.log.error(`job ${name} failed`, {
          error: errorMessage(error),
        });
      }
    };
  cron(
    "retry due members",
    schedules.retryDue,
    guarded("retry-due", retryDueJob),
  );
  cron(
    "resend offerings",
    schedules.offerings,
    guarded("resend-offerings", (ctx) => resendOfferingsJob(ctx, env)),
  );
}

function summaryOf(report: SyncReport): Record<string, unknown> {
  return {
    exitCode: report.exitCode,
    members: report.members,
    offerings: report.offerings.status,
    stoppedBecause: report.stoppedBecause,
  };
}
