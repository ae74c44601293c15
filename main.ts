/**
 * The deployable service: `deno task serve` locally, or the entry point on
 * Deno Deploy. Serves the Hono app and registers the scheduled jobs; all
 * settings come from `MEDLEMSBRO_*` environment variables.
 *
 * @module
 */

import { createApp } from "./src/http/app.ts";
import { createServiceContext } from "./src/service/context.ts";
import { registerJobs, schedulesFrom } from "./src/service/jobs.ts";

if (import.meta.main) {
  const env = Deno.env.toObject();
  const context = createServiceContext(env);
  // Registered at the module's top level, as Deno Deploy requires of crons.
  registerJobs(context, schedulesFrom(env), env);

  const ready = await context;
  const port = Number(env.PORT ?? 8000);
  const hostname = env.HOST ?? "127.0.0.1";
  Deno.serve(
    {
      port,
      hostname,
      onListen: () => ready.log.info("listening", { hostname, port }),
    },
    createApp({ context: ready }).fetch,
  );
}
