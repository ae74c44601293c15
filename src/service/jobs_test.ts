import assert from "node:assert/strict";
import { createLogger } from "../log.ts";
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
