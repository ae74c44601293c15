/**
 * Connecting to Helsenorge from settings: the environment's base URL (or the
 * one given), authentication, timeouts and resends. With `--env mock` and no
 * URL the bundled mock is started in-process on 127.0.0.1, with token
 * endpoints and a demo client made in memory, so the whole flow runs with no
 * set-up. Used by the CLI, the service and its scheduled jobs alike.
 *
 * @module
 */

import { ENVIRONMENTS } from "../config/environments.ts";
import type { Settings } from "../config/settings.ts";
import {
  createAuthorizerFor,
  describeAuth,
  type PreparedAuth,
} from "../auth/setup.ts";
import { createMockAuth, type MockAuth } from "../../mock-helsenorge/auth.ts";
import { type RunningMock, startMock } from "../../mock-helsenorge/server.ts";
import { type ClientEvent, HelsenorgeClient } from "./client.ts";

/** A client ready to use, and what to close when done. */
export interface Connection {
  client: HelsenorgeClient;
  /** The base URL and the kind of auth, for people. */
  description: string;
  /** The in-process mock, when one was started. */
  mock?: RunningMock;
  close(): Promise<void>;
}

/**
 * Whether {@linkcode connect} starts the bundled mock in-process: no base
 * URL given and none known for the environment (`--env mock`).
 */
export function usesInProcessMock(settings: Settings): boolean {
  return (settings.baseUrl ?? ENVIRONMENTS[settings.env].baseUrl) ===
    undefined;
}

/** Build the client the settings describe; start the mock when they say so. */
export async function connect(
  settings: Settings,
  auth: PreparedAuth,
  options: { onEvent?: (event: ClientEvent) => void } = {},
): Promise<Connection> {
  const environment = ENVIRONMENTS[settings.env];
  let baseUrl = settings.baseUrl ?? environment.baseUrl;
  let mock: RunningMock | undefined;
  let mockAuth: MockAuth | undefined;
  if (baseUrl === undefined) {
    if (auth.settings.auth !== "none") {
      mockAuth = await createMockAuth({ requireDpop: auth.settings.dpop });
    }
    mock = await startMock({ port: 0, auth: mockAuth, log: () => {} });
    baseUrl = mock.baseUrl;
  }

  try {
    const client = new HelsenorgeClient({
      baseUrl,
      timeouts: {
        offerings: settings.timeoutOfferingsMs,
        members: settings.timeoutMembersMs,
      },
      retry: { maxAttempts: settings.maxAttempts },
      authorize: await createAuthorizerFor(auth, {
        baseUrl,
        helseIdAuthority: mock?.url ?? environment.helseIdAuthority,
        mockAuth,
      }),
      onEvent: options.onEvent,
    });
    return {
      client,
      description: `${baseUrl}, ${describeAuth(auth, mock !== undefined)}`,
      mock,
      close: async () => await mock?.close(),
    };
  } catch (error) {
    await mock?.close();
    throw error;
  }
}
