/**
 * The deployable service: `deno task serve` locally, or the entry point on
 * Deno Deploy. Serves the Hono app (webhooks, status, health, OpenAPI),
 * consumes the KV queue that flushes accepted events, and registers the
 * scheduled jobs; all settings come from `MEDLEMSBRO_*` environment
 * variables (docs/configuration.md, docs/webhooks.md).
 *
 * @module
 */

import { createApp } from "./src/http/app.ts";
import { createServiceContext } from "./src/service/context.ts";
import { registerJobs, schedulesFrom } from "./src/service/jobs.ts";
import { webhookServiceFor } from "./src/service/webhooks.ts";
import { loadWebhookSettings } from "./src/service/webhook_settings.ts";
import { startFailure } from "./src/service/webhook_start.ts";

if (import.meta.main) {
  try {
    await serve();
  } catch (error) {
    // One line naming the setting, no stack trace (docs/webhooks.md).
    const { line, exitCode } = startFailure(error);
    await Deno.stderr.write(new TextEncoder().encode(`${line}\n`));
    Deno.exit(exitCode);
  }
}

async function serve(): Promise<void> {
  const env = Deno.env.toObject();
  // Checked first: a bad secret list stops the start, naming the variable only.
  const webhookSettings = loadWebhookSettings(env);
  const context = createServiceContext(env);
  // Registered before the first await, while the module is evaluated, as
  // Deno Deploy requires of crons.
  registerJobs(context, schedulesFrom(env), env);

  const ready = await context;
  const webhooks = webhookServiceFor(ready, webhookSettings);
  await webhooks.listen();

  const port = Number(env.PORT ?? 8000);
  const hostname = env.HOST ?? "127.0.0.1";
  Deno.serve(
    {
      port,
      hostname,
      onListen: () => ready.log.info("listening", { hostname, port }),
    },
    createApp({ context: ready, webhooks, version: env.MEDLEMSBRO_VERSION })
      .fetch,
  );
}
