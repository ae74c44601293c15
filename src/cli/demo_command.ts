/**
 * `deno task demo`: sync the bundled fixtures to the in-process mock. The
 * sample export holds three bad rows on purpose, so the sync's "rows
 * rejected" ending is the expected one and the demo exits 0 on it.
 *
 * @module
 */

import { ExitCode } from "../sync/report.ts";
import { syncCommand } from "./sync_command.ts";

const FIXTURES = new URL("../../fixtures/", import.meta.url).pathname;

/** Run the demo; extra arguments are passed on to `sync`. */
export async function demoCommand(args: string[]): Promise<number> {
  const code = await syncCommand([
    "--env",
    "mock",
    "--offerings",
    `${FIXTURES}helsetilbud.json`,
    "--members",
    `${FIXTURES}medlemmer-eksport.csv`,
    ...args,
  ]);
  if (code === ExitCode.rowsRejected) {
    Deno.stdout.writeSync(new TextEncoder().encode(
      "\nDemo finished as expected: the sample export holds 3 bad rows (lines 39-41) to show how problems are reported.\n",
    ));
    return ExitCode.ok;
  }
  return code;
}
