/**
 * The deployable service: `deno task serve` locally, or as the entry point on
 * Deno Deploy. Serves the Hono app from src/http.
 *
 * @module
 */

import { createApp } from "./src/http/app.ts";

if (import.meta.main) {
  const port = Number(Deno.env.get("PORT") ?? 8000);
  const hostname = Deno.env.get("HOST") ?? "127.0.0.1";
  Deno.serve({ port, hostname }, createApp().fetch);
}
