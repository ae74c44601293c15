/**
 * A fast, non-cryptographic 64-bit hash for in-memory indexes (the export's
 * duplicate check, the state snapshot). Not for anything an attacker may
 * choose to collide: whoever writes the export can send anything anyway.
 *
 * @module
 */

/**
 * Two independent 32-bit hashes of `text` (FNV-1a and a multiply-xorshift),
 * each finalized with murmur3's mixer, as unsigned numbers.
 *
 * @example
 * ```ts
 * const [high, low] = hash64("23907640450|948554062");
 * ```
 */
export function hash64(text: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x27d4eb2f;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 13;
  }
  return [mix(a) >>> 0, mix(b ^ text.length) >>> 0];
}

/** murmur3's 32-bit finalizer: every input bit moves every output bit. */
export function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
