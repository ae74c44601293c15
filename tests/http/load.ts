/**
 * `deno task load [EVENTS] [CLIENTS]`: the full load run (default 10 000
 * events from 50 concurrent clients) on 127.0.0.1, bounded to 120 s. Prints
 * the figures as JSON and exits 1 if anything was lost or sent twice.
 */

import { runLoad } from "./_load.ts";

const events = Number(Deno.args[0] ?? 10_000);
const clients = Number(Deno.args[1] ?? 50);
const figures = await runLoad({ events, clients, timeoutMs: 120_000 });
const ok = !figures.timedOut && figures.errors === 0 &&
  figures.mock.patients === events && figures.mock.entries === events &&
  figures.mock.maxVersion === 1 && figures.acceptedIds === events;
Deno.stdout.writeSync(
  new TextEncoder().encode(JSON.stringify({ ok, ...figures }, null, 2) + "\n"),
);
Deno.exit(ok ? 0 : 1);
