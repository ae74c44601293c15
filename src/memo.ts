/**
 * A small memo for pure parsers of values that repeat row after row: an
 * export's dates and organization numbers, a batch's shared times in the
 * state store.
 *
 * @module
 */

/**
 * `parse`, remembering up to `max` inputs and their results; when full, it
 * starts over. Results are frozen, since every caller with the same input
 * gets the same object. Give each column its own memo: its last few inputs
 * are compared before the table.
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
  // The last few inputs, compared before the table is asked: rows repeat
  // the rows just before them, and a short string comparison is cheaper
  // than hashing the string.
  const recentInputs: string[] = [];
  const recentResults: R[] = [];
  let oldest = 0;
  return (input) => {
    for (let i = 0; i < recentInputs.length; i++) {
      if (recentInputs[i] === input) return recentResults[i];
    }
    let result = cache.get(input);
    if (result === undefined) {
      if (cache.size >= max) cache.clear();
      result = Object.freeze(parse(input));
      cache.set(input, result);
    }
    recentInputs[oldest] = input;
    recentResults[oldest] = result;
    oldest = (oldest + 1) % RECENT;
    return result;
  };
}

/** How many of the last inputs are compared before the table. */
const RECENT = 4;
