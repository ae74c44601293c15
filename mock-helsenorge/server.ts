/**
 * Run the mock on a real socket on 127.0.0.1, in-process. The CLI uses this
 * for `--env mock`; tests use it for a few real-socket runs.
 *
 * @example
 * ```ts
 * const mock = await startMock({ notConsentedFraction: 0 });
 * try {
 *   await fetch(mock.baseUrl, { method: "POST", body, headers });
 * } finally {
 *   await mock.close();
 * }
 * ```
 *
 * @module
 */

import {
  createMockApp,
  DEFAULT_BASE_PATH,
  type MockAppOptions,
} from "./app.ts";
import type { MockStore } from "./store.ts";

/** Options for {@linkcode startMock}. */
export interface StartMockOptions extends MockAppOptions {
  /** Port on 127.0.0.1; 0 picks a free one. @default 0 */
  port?: number;
}

/** A running mock. */
export interface RunningMock {
  /** `http://127.0.0.1:{port}` */
  url: string;
  /** `url` plus the base path: where the API is. */
  baseUrl: string;
  store: MockStore;
  /** Stop listening and wait for open requests to finish. */
  close(): Promise<void>;
}

/** Start the mock on 127.0.0.1 and resolve once it listens. */
export function startMock(
  options: StartMockOptions = {},
): Promise<RunningMock> {
  const { port = 0, ...appOptions } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return Promise.reject(new RangeError(`port must be 0..65535, got ${port}`));
  }
  const { app, store } = createMockApp(appOptions);

  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve({
        hostname: "127.0.0.1",
        port,
        // Silence Deno's "Listening on" line; the caller says what it wants.
        onListen(addr) {
          const url = `http://127.0.0.1:${addr.port}`;
          let closing: Promise<void> | undefined;
          resolve({
            url,
            baseUrl: url + (appOptions.basePath ?? DEFAULT_BASE_PATH),
            store,
            close() {
              closing ??= server.shutdown();
              return closing;
            },
          });
        },
      }, app.fetch);
    } catch (error) {
      reject(error);
    }
  });
}
