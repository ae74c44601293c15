// The store's table of records by business key, in insertion order.
//
// A `Map` did this, but at a million patients a lookup cost ~1.3 us: a miss
// walks a bucket chain and reads each candidate key string, every read a
// cache miss in a heap of most of a gigabyte. Here the slots are one typed
// array of (hash, position) pairs probed linearly, so a miss reads about one
// cache line and a key is compared only when its full 32-bit hash matches:
// ~0.3 us.

/** Records by string key; `values()` in the order keys were first set. */
export class KeyTable<V> {
  #keys: string[] = [];
  #values: V[] = [];
  #hashes: number[] = [];
  /** Pairs of (hash, position + 1); position 0 marks an empty slot. */
  #slots = new Int32Array(2 * 16);
  #mask = 15;

  get size(): number {
    return this.#keys.length;
  }

  get(key: string): V | undefined {
    const position = this.#find(key, hashKey(key));
    return position < 0 ? undefined : this.#values[position];
  }

  /** Replace the value of a known key in place, or add the key at the end. */
  set(key: string, value: V): void {
    const hash = hashKey(key);
    const position = this.#find(key, hash);
    if (position >= 0) {
      this.#values[position] = value;
      return;
    }
    this.#keys.push(key);
    this.#values.push(value);
    this.#hashes.push(hash);
    if (2 * this.#keys.length > this.#mask + 1) {
      this.#grow();
    } else {
      this.#place(hash, this.#keys.length);
    }
  }

  values(): IterableIterator<V> {
    return this.#values.values();
  }

  clear(): void {
    this.#keys = [];
    this.#values = [];
    this.#hashes = [];
    this.#slots = new Int32Array(2 * 16);
    this.#mask = 15;
  }

  /** The key's position, or -1. */
  #find(key: string, hash: number): number {
    const slots = this.#slots;
    const mask = this.#mask;
    for (let i = hash & mask;; i = (i + 1) & mask) {
      const position = slots[2 * i + 1];
      if (position === 0) return -1;
      if (slots[2 * i] === hash && this.#keys[position - 1] === key) {
        return position - 1;
      }
    }
  }

  /** Put (hash, position + 1) in the first free slot from the hash's. */
  #place(hash: number, positionPlusOne: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let i = hash & mask;
    while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
    slots[2 * i] = hash;
    slots[2 * i + 1] = positionPlusOne;
  }

  /** Double the slots (at most half of them used) and place every key. */
  #grow(): void {
    const size = 2 * (this.#mask + 1);
    this.#slots = new Int32Array(2 * size);
    this.#mask = size - 1;
    const hashes = this.#hashes;
    for (let p = 0; p < hashes.length; p++) this.#place(hashes[p], p + 1);
  }
}

/** FNV-1a over the UTF-16 code units, then a final mix for the low bits. */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
