/**
 * The `medlemsbro` command line: `deno task sync` runs `main.ts sync ...`.
 *
 * @module
 */

import { demoCommand } from "./demo_command.ts";
import { keysCommand } from "./keys_command.ts";
import { statusCommand } from "./status_command.ts";
import { syncCommand } from "./sync_command.ts";
import { ExitCode } from "../sync/report.ts";

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  sync: syncCommand,
  demo: demoCommand,
  keys: keysCommand,
  status: statusCommand,
};

const USAGE = `Usage: deno task sync [options]      (see --help)
Commands: ${Object.keys(COMMANDS).join(", ")}`;

if (import.meta.main) {
  const [command, ...rest] = Deno.args;
  const run = command === undefined ? undefined : COMMANDS[command];
  if (run === undefined) {
    await write(Deno.stderr, `${USAGE}\n`);
    Deno.exit(ExitCode.usage);
  }
  Deno.exit(await run(rest));
}

async function write(file: typeof Deno.stderr, text: string): Promise<void> {
  await file.write(new TextEncoder().encode(text));
}
