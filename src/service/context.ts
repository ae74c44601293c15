/**
 * What the long-running service shares between its HTTP handlers and its
 * scheduled jobs: settings, the state store, the connection to Helsenorge
 * and the logger. Built once at start from the environment.
 *
 * @module
 */

import { prepareAuth } from "../auth/setup.ts";
import { loadSettings, type Settings } from "../config/settings.ts";
import {
  connect,
  type Connection,
  usesInProcessMock,
} from "../helsenorge/connect.ts";
import { createLogger, type Logger } from "../log.ts";
import { openStateStore, type StateStore } from "../state/store.ts";
import { type BundleTarget, clientTarget } from "../sync/sync.ts";
import { defaultStatePath } from "../state/state_path.ts";
import { RunGate } from "./run_gate.ts";

export interface ServiceContext {
  settings: Settings;
  state: StateStore;
  connection: Connection;
  target: BundleTarget;
  log: Logger;
  /**
   * Holder name for leases taken by this process; each run appends a run
   * id of its own (`oneRunLease`), so two runs never share a holder.
   */
  holder: string;
  /** The process's runs (flushes, uploads, offerings, jobs) take turns here. */
  gate: RunGate;
  close(): Promise<void>;
}

/**
 * Read settings from `env`, connect, and open the state store: the file
 * named by `MEDLEMSBRO_STATE`; on Deno Deploy (`DENO_DEPLOYMENT_ID` set)
 * Deploy's managed KV; otherwise `.medlemsbro/ENV.sqlite`, or memory when
 * the in-process mock stands in for Helsenorge.
 */
export async function createServiceContext(
  env: Record<string, string | undefined>,
  options: { log?: Logger } = {},
): Promise<ServiceContext> {
  const { log = createLogger() } = options;
  const settings = loadSettings({}, env);
  const auth = await prepareAuth({}, env, {
    demoClient: usesInProcessMock(settings),
  });
  const connection = await connect(settings, auth, {
    onEvent: (event) => {
      if (event.type === "retry") {
        log.warn("resending", {
          step: event.step,
          attempt: event.attempt,
          delayMs: event.delayMs,
          reason: event.reason,
        });
      }
    },
  });

  const onDeploy = env.DENO_DEPLOYMENT_ID !== undefined;
  const path = settings.statePath ??
    (onDeploy
      ? undefined
      : connection.mock
      ? ":memory:"
      : defaultStatePath(settings.env));
  const secret = env.MEDLEMSBRO_ID_KEY_SECRET;
  let state: StateStore;
  try {
    state = await openStateStore({
      path: path === "none" ? ":memory:" : path,
      idKeySecret: secret ? new TextEncoder().encode(secret) : undefined,
      environment: settings.env,
      writeBehind: settings.stateWriteBehind,
    });
  } catch (error) {
    await connection.close();
    throw error;
  }

  log.info("service ready", {
    env: settings.env,
    destination: connection.description,
    state: path ?? "Deno Deploy KV",
  });
  return {
    settings,
    state,
    connection,
    target: clientTarget(connection.client),
    log,
    holder: `service:${env.DENO_DEPLOYMENT_ID ?? Deno.pid}`,
    gate: new RunGate(),
    close: async () => {
      state.close();
      await connection.close();
    },
  };
}
