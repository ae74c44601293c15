/**
 * Text bound for a terminal comes partly from input files, which may hold
 * control characters (an escape sequence in a date cell can clear the screen
 * or retitle the window). Such characters are shown escaped instead.
 *
 * @module
 */

/**
 * Replace control characters other than line feed and tab with a visible
 * `\u{1b}`-style escape.
 *
 * @example
 * ```ts
 * terminalSafe("a\x1b[2Jb\n"); // "a\\u{1b}[2Jb\n"
 * ```
 */
export function terminalSafe(text: string): string {
  return text.replace(
    // deno-lint-ignore no-control-regex -- matching control characters is the point
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\u{${c.charCodeAt(0).toString(16)}}`,
  );
}
