/**
 * Bytes from a fixed pseudo-random sequence (xorshift32): garbage, but the
 * same in every run, for tests.
 *
 * @module
 */

/** `length` bytes of the xorshift32 sequence from `seed` (0 is taken as 1). */
export function noise(length: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
