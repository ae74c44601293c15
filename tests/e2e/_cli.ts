/**
 * Runs the CLI as a separate process, as a user would, with a clean
 * environment. State defaults to none, so tests never share a state file;
 * a test that needs state passes `--state PATH`.
 */

export const ROOT = new URL("../../", import.meta.url).pathname;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Spawn `main.ts` with `args`; the process is started and awaited, never left behind. */
export function spawnCli(
  args: string[],
  env: Record<string, string> = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-net=127.0.0.1",
      "--allow-env",
      `${ROOT}src/cli/main.ts`,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", MEDLEMSBRO_STATE: "none", ...env },
    clearEnv: true,
  }).spawn();
}

/** Run the CLI to its end and collect its output. */
export async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<Run> {
  const { code, stdout, stderr } = await spawnCli(args, env).output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}
