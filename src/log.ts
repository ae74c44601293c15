/**
 * Structured logs for the edges (service, jobs): one JSON line per event
 * with level, time, message and context. The core does not log; it reports.
 *
 * Context values pass through {@linkcode maskIdsInText}, so a national id
 * that slips into a message or field is masked on the way out.
 *
 * @module
 */

import { maskIdsInText } from "./identifiers/mask.ts";

export type Level = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
  /** A logger that adds `context` to every line. */
  with(context: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** Where lines go. @default a line on stderr */
  sink?: (line: string) => void;
  /** @default () => new Date() */
  now?: () => Date;
  /** Lines below this level are dropped. @default "info" */
  level?: Level;
}

const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * @example
 * ```ts
 * const log = createLogger();
 * log.info("flush", { batch: 200, durationMs: 812 });
 * // {"level":"info","time":"2026-12-04T10:00:00.000Z","msg":"flush","batch":200,"durationMs":812}
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const encoder = new TextEncoder();
  const {
    sink = (line: string) => Deno.stderr.writeSync(encoder.encode(line + "\n")),
    now = () => new Date(),
    level = "info",
  } = options;

  const make = (base: Record<string, unknown>): Logger => {
    const write = (at: Level, msg: string, context = {}) => {
      if (ORDER[at] < ORDER[level]) return;
      const line = JSON.stringify({
        level: at,
        time: now().toISOString(),
        msg,
        ...base,
        ...context,
      });
      sink(maskIdsInText(line));
    };
    return {
      debug: (m, c) => write("debug", m, c),
      info: (m, c) => write("info", m, c),
      warn: (m, c) => write("warn", m, c),
      error: (m, c) => write("error", m, c),
      with: (context) => make({ ...base, ...context }),
    };
  };
  return make({});
}
