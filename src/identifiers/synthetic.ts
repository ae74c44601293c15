/**
 * Synthetic Test Norge national ids for benchmarks, load runs and tests:
 * valid check digits, birth month + 80, so they can never be a real person's
 * id and are refused in production by the same rules as any other.
 *
 * @module
 */

const K1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const K2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/** Options for {@linkcode syntheticNationalIds}. */
export interface SyntheticOptions {
  /** Share of D-nummer (day + 40) among the ids, 0 to 1. @default 0.1 */
  dnrShare?: number;
  /** Skip this many ids first, to make disjoint sets. @default 0 */
  offset?: number;
}

/**
 * Yield distinct, valid synthetic national ids in a fixed order: the same
 * options always give the same sequence. About 15 million exist in the order
 * used here, far beyond any benchmark.
 *
 * @example
 * ```ts
 * const ids = syntheticNationalIds({ dnrShare: 0.2 });
 * ids.next().value; // "01800000040"-like, valid check digits
 * ```
 */
export function* syntheticNationalIds(
  options: SyntheticOptions = {},
): Generator<string> {
  const { dnrShare = 0.1, offset = 0 } = options;
  if (!(dnrShare >= 0 && dnrShare <= 1)) {
    throw new RangeError(`dnrShare must be between 0 and 1, got ${dnrShare}`);
  }

  let produced = 0;
  let dnrOwed = 0;
  // Individual number outermost, so consecutive ids spread over birth dates.
  for (let individual = 0; individual < 1000; individual++) {
    for (let year = 0; year < 100; year++) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 1; day <= 28; day++) {
          const dnr = dnrOwed + dnrShare >= 1;
          const id = withCheckDigits(
            pad(day + (dnr ? 40 : 0)) + pad(month + 80) + pad(year) +
              String(individual).padStart(3, "0"),
          );
          if (id === undefined) continue;
          dnrOwed += dnrShare - (dnr ? 1 : 0);
          if (produced++ >= offset) yield id;
        }
      }
    }
  }
}

/** Append both mod-11 check digits (the classic rule), or undefined if none exist. */
function withCheckDigits(nine: string): string | undefined {
  const k1 = checkDigit(nine, K1);
  if (k1 === undefined) return undefined;
  const k2 = checkDigit(nine + k1, K2);
  if (k2 === undefined) return undefined;
  return nine + k1 + k2;
}

function checkDigit(digits: string, weights: number[]): number | undefined {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i] * Number(digits[i]);
  }
  const rest = 11 - (sum % 11);
  if (rest === 11) return 0;
  return rest === 10 ? undefined : rest;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
