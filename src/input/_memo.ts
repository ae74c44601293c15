/**
 * A small memo for pure parsers of values an export repeats on every row
 * (dates, organization numbers). Private to src/input.
 *
 * @module
 */

/**
 * `parse`, remembering up to `max` inputs and their results; when full, it
 * starts over. Results are frozen, since every caller with the same input
 * gets the same object. Give each column its own memo: the last input is
 * checked before the table.
 *
 * @example
 * ```ts
 * const dates = memo(parseDate, 256);
 * dates("01.01.2026") === dates("01.01.2026"); // true
 * ```
 */
export function memo<R extends object>(
  parse: (input: string) => R,
  max: number,
): (input: string) => R {
  const cache = new Map<string, R>();
  // Rows often repeat the row before: a string comparison then does.
  let lastInput: string | undefined;
  let lastResult: R | undefined;
  return (input) => {
    if (input === lastInput) return lastResult!;
    let result = cache.get(input);
    if (result === undefined) {
      if (cache.size >= max) cache.clear();
      result = Object.freeze(parse(input));
      cache.set(input, result);
    }
    lastInput = input;
    lastResult = result;
    return result;
  };
}
