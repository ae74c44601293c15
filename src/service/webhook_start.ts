/**
 * What the service prints when it cannot start: one line on stderr naming
 * the setting (never its value) and exit code 2 for a setting or another
 * problem an operator fixes, 1 for anything else; no stack trace.
 *
 * @module
 */

import { SettingsError } from "../config/settings.ts";
import { errorMessage, MedlemsbroError } from "../errors.ts";
import { maskIdsInText } from "../identifiers/mask.ts";

/** Exit code of a start refused for a setting (as the CLI's usage errors). */
export const START_SETTINGS_EXIT = 2;

/**
 * The line and exit code for an error thrown while starting.
 *
 * @example
 * ```ts
 * startFailure(new SettingsError(["MEDLEMSBRO_WEBHOOK_SECRETS: too short"]));
 * // { line: "medlemsbro: cannot start: MEDLEMSBRO_WEBHOOK_SECRETS: too short", exitCode: 2 }
 * ```
 */
export function startFailure(
  error: unknown,
): { line: string; exitCode: number } {
  const oneLine = (text: string) =>
    maskIdsInText(text.replace(/\s*\n\s*/g, "; ").trim());
  if (error instanceof SettingsError) {
    return {
      line: `medlemsbro: cannot start: ${oneLine(error.issues.join("; "))}`,
      exitCode: START_SETTINGS_EXIT,
    };
  }
  if (error instanceof MedlemsbroError) {
    return {
      line: `medlemsbro: cannot start (${error.code}): ${
        oneLine(error.message)
      }`,
      exitCode: START_SETTINGS_EXIT,
    };
  }
  const message = errorMessage(error);
  return {
    line: `medlemsbro: cannot start: ${oneLine(message)}`,
    exitCode: 1,
  };
}
