// HMAC-SHA256 (RFC 2104 over FIPS 180-4) for the consent rule, written out
// so an id costs two SHA-256 block compressions and no allocation: the key's
// inner and outer pads are compressed once per key, and an id of up to 55
// UTF-8 bytes then fits one inner block with its padding. node:crypto gives
// the same bytes but allocates a Buffer, a hash object and a digest per id:
// ~6 us an id, against under 1 us here.

/** The SHA-256 round constants. */
const K = Int32Array.from([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);

/** The SHA-256 initial hash value. */
const IV = Int32Array.from([
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
]);

/** The message schedule; words 0..15 hold the block being compressed. */
const w = new Int32Array(64);
/** The running hash of the message being hashed. */
const state = new Int32Array(8);
/** Bytes of a message, padded, when it does not fit the fast path. */
let bytes = new Uint8Array(128);
const encoder = new TextEncoder();

/** Compress the block in `w[0..15]` into `h`. */
function compress(h: Int32Array): void {
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15];
    const y = w[t - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^
      (y >>> 10);
    w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
  }
  let a = h[0], b = h[1], c = h[2], d = h[3];
  let e = h[4], f = h[5], g = h[6], k = h[7];
  for (let t = 0; t < 64; t++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^
      ((e >>> 25) | (e << 7));
    const t1 = (k + s1 + ((e & f) ^ (~e & g)) + K[t] + w[t]) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^
      ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    k = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0] + a) | 0;
  h[1] = (h[1] + b) | 0;
  h[2] = (h[2] + c) | 0;
  h[3] = (h[3] + d) | 0;
  h[4] = (h[4] + e) | 0;
  h[5] = (h[5] + f) | 0;
  h[6] = (h[6] + g) | 0;
  h[7] = (h[7] + k) | 0;
}

/**
 * Hash `message` into `h`, which holds the state after `before` bytes
 * already hashed (a multiple of 64): its blocks, then SHA-256's padding.
 */
function hashBytes(h: Int32Array, message: Uint8Array, before: number): void {
  const padded = (message.length + 9 + 63) & ~63;
  if (bytes.length < padded) bytes = new Uint8Array(padded);
  bytes.set(message);
  bytes.fill(0, message.length, padded);
  bytes[message.length] = 0x80;
  const bits = (before + message.length) * 8;
  const high = Math.floor(bits / 2 ** 32);
  const low = bits >>> 0;
  for (let i = 0; i < 4; i++) {
    bytes[padded - 8 + i] = high >>> (24 - 8 * i);
    bytes[padded - 4 + i] = low >>> (24 - 8 * i);
  }
  for (let block = 0; block < padded; block += 64) {
    for (let i = 0; i < 16; i++) {
      const p = block + 4 * i;
      w[i] = (bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) |
        bytes[p + 3];
    }
    compress(h);
  }
}

/** A key made ready: the hash states after its inner and outer pads. */
export interface HmacKey {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

/** Prepare a key (UTF-8 of `key`) for {@linkcode hmacSha256Word0}. */
export function hmacKey(key: string): HmacKey {
  let raw: Uint8Array = encoder.encode(key);
  if (raw.length > 64) {
    // RFC 2104: a key longer than the block is hashed first.
    const h = IV.slice();
    hashBytes(h, raw, 0);
    raw = wordsToBytes(h);
  }
  const pad = (byte: number): Int32Array => {
    const block = new Uint8Array(64);
    for (let i = 0; i < 64; i++) block[i] = (raw[i] ?? 0) ^ byte;
    const h = IV.slice();
    for (let i = 0; i < 16; i++) {
      w[i] = (block[4 * i] << 24) | (block[4 * i + 1] << 16) |
        (block[4 * i + 2] << 8) | block[4 * i + 3];
    }
    compress(h);
    return h;
  };
  return { inner: pad(0x36), outer: pad(0x5c) };
}

function wordsToBytes(h: Int32Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = h[i >> 2] >>> (24 - 8 * (i & 3));
  return out;
}

/**
 * The first four bytes of HMAC-SHA256(key, UTF-8 `message`), as a
 * big-endian unsigned 32-bit integer.
 */
export function hmacSha256Word0(key: HmacKey, message: string): number {
  state.set(key.inner);
  const n = message.length;
  let ascii = n <= 55;
  for (let i = 0; ascii && i < n; i++) ascii = message.charCodeAt(i) < 0x80;
  if (ascii) {
    // One block: the message, 0x80, zeros, and the bit length (one block of
    // pad before it).
    w.fill(0, 0, 16);
    for (let i = 0; i < n; i++) {
      w[i >> 2] |= message.charCodeAt(i) << (24 - 8 * (i & 3));
    }
    w[n >> 2] |= 0x80 << (24 - 8 * (n & 3));
    w[15] = (64 + n) * 8;
    compress(state);
  } else {
    hashBytes(state, encoder.encode(message), 64);
  }
  // Outer hash: the pad's state, then the 32-byte inner hash and padding.
  for (let i = 0; i < 8; i++) w[i] = state[i];
  w[8] = 0x80000000;
  w.fill(0, 9, 15);
  w[15] = (64 + 32) * 8;
  state.set(key.outer);
  compress(state);
  return state[0] >>> 0;
}
