import assert from "node:assert/strict";
import { createLogger } from "../log.ts";
import { ExitCode } from "../sync/report.ts";
import { createServiceContext } from "./context.ts";
import {
  registerJobs,
  resendOfferingsJob,
  retryDueJob,
  schedulesFrom,
} from "./jobs.ts";

const OFFERINGS = new URL("../../fixtures/helsetilbud.json", import.meta.url)
  .pathname;

async function context(lines: string[]) {
  return await createServiceContext(
    { MEDLEMSBRO_ENV: "mock" },
    { log: createLogger({ sink: (line) => lines.push(line) }) },
  );
}

Deno.test("registerJobs() registers both jobs with the configured schedules", () => {
  const registered: [string, string][] = [];
  const fakeCron = ((name: string, schedule: string) => {
    registered.push([name, schedule]);
    return Promise.resolve();
  }) as unknown as typeof Deno.cron;
  const env = { MEDLEMSBRO_CRON_RETRY: "*/10 * * * *" };
  registerJobs(
    new Promise(() => {}), // never needed: the fake cron runs no job
    schedulesFrom(env),
    env,
    fakeCron,
  );
  assert.deepEqual(registered, [
    ["retry due members", "*/10 * * * *"],
    ["resend offerings", "30 2 * * *"],
  ]);
});

Deno.test("the offerings job sends the configured file, then what Helsenorge accepted; the retry job finds nothing due", async () => {
  const lines: string[] = [];
  const ctx = await context(lines);
  try {
    assert.equal(await resendOfferingsJob(ctx), undefined, "nothing known yet");

    const first = await resendOfferingsJob(ctx, {
      MEDLEMSBRO_OFFERINGS_FILE: OFFERINGS,
    });
    assert.equal(first?.offerings.status, "sent");
    // Now the accepted offerings are in state; no file needed.
    const second = await resendOfferingsJob(ctx);
    assert.equal(second?.offerings.status, "sent");
    assert.equal(second?.offerings.healthcareServices, 3);

    const retry = await retryDueJob(ctx);
    assert.equal(retry.members.read, 0);
    assert.equal(retry.exitCode, 0);

    const messages = lines.map((line) => JSON.parse(line).msg);
    assert.ok(messages.includes("job resend-offerings finished"));
    assert.ok(messages.includes("job retry-due finished"));
  } finally {
    await ctx.close();
  }
});

Deno.test("a job's tick while another job runs in this process is skipped with a log line", async () => {
  const lines: string[] = [];
  const base = await context(lines);
  // The offerings call waits until the test lets it go.
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  let calling!: () => void;
  const called = new Promise<void>((resolve) => calling = resolve);
  const ctx = {
    ...base,
    target: {
      ...base.target,
      offerings: async (...args: Parameters<typeof base.target.offerings>) => {
        calling();
        await held;
        return await base.target.offerings(...args);
      },
    },
  };
  try {
    const resend = resendOfferingsJob(ctx, {
      MEDLEMSBRO_OFFERINGS_FILE: OFFERINGS,
    });
    await called;
    const retry = await retryDueJob(ctx);
    release();
    const sent = await resend;

    assert.equal(retry.exitCode, ExitCode.busy);
    assert.match(retry.stoppedBecause ?? "", /another run/);
    assert.equal(sent?.offerings.status, "sent");
    const runs = await ctx.state.lastRuns();
    assert.equal(runs.length, 1, "only the offerings job ran");
    const messages = lines.map((line) => JSON.parse(line).msg);
    assert.ok(messages.includes("job retry-due skipped"));
    assert.ok(messages.includes("job resend-offerings finished"));

    // Once it is done, the next tick runs.
    assert.equal((await retryDueJob(ctx)).exitCode, 0);
  } finally {
    release();
    await base.close();
  }
});

Deno.test("the daily offerings tick waits for a run of this process instead of skipping a day", async () => {
  const lines: string[] = [];
  const ctx = await context(lines);
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  try {
    // Another run of this process (a flush, say) holds the gate.
    const running = ctx.gate.run(() => held);
    const resend = resendOfferingsJob(ctx, {
      MEDLEMSBRO_OFFERINGS_FILE: OFFERINGS,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal((await ctx.state.lastRuns()).length, 0, "waits its turn");
    release();
    await running;
    const sent = await resend;
    assert.equal(sent?.exitCode, 0);
    assert.equal(sent?.offerings.status, "sent");
    const messages = lines.map((line) => JSON.parse(line).msg);
    assert.ok(!messages.includes("job resend-offerings skipped"));
  } finally {
    release();
    await ctx.close();
  }
});

Deno.test("a job's tick while another process holds the lease is skipped with a log line, and runs once it is free", async () => {
  const lines: string[] = [];
  const ctx = await context(lines);
  try {
    const name = "sync:mock";
    assert.ok((await ctx.state.acquireLease(name, "service:other", 60_000)).ok);
    const retry = await retryDueJob(ctx);
    const resend = await resendOfferingsJob(ctx, {
      MEDLEMSBRO_OFFERINGS_FILE: OFFERINGS,
    });
    assert.equal(retry.exitCode, ExitCode.busy);
    assert.equal(resend?.exitCode, ExitCode.busy);
    assert.match(retry.stoppedBecause ?? "", /\(service:other\)/);
    assert.deepEqual(await ctx.state.lastRuns(), []);
    const skipped = lines.map((line) => JSON.parse(line))
      .filter((line) => line.msg.endsWith(" skipped"));
    assert.deepEqual(skipped.map((line) => line.msg), [
      "job retry-due skipped",
      "job resend-offerings skipped",
    ]);

    await ctx.state.releaseLease(name, "service:other");
    assert.equal((await retryDueJob(ctx)).exitCode, 0);
  } finally {
    await ctx.close();
  }
});
