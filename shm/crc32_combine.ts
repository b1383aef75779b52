/**
 * CRC-32 combination, as zlib's `crc32_combine`: the CRC-32 of `A || B` from
 * the CRC-32s of `A` and `B` and the length of `B`, without reading either.
 * The CRC is zlib's (IEEE 802.3 polynomial, reflected, init and xorout
 * 0xFFFFFFFF: `crc32` of `node:zlib`, Python's `zlib.crc32`).
 *
 * The shared-memory client knows the CRC of each pool frame's body (between
 * the two 8-byte index stamps) once, and combines it with the CRCs of the
 * stamps of each frame it sends to get the CRC of the whole frame, which the
 * server computes from the slot: no extra read of the frame.
 *
 * zlib's algorithm: appending n zero bits to a message is a linear map of its
 * CRC register over GF(2), a 32x32 bit matrix; the map for `len2` bytes is
 * built by squaring the one-bit map (one squaring per bit of `len2 * 8`).
 * {@linkcode crc32CombineGen} builds that matrix once for a length, so that
 * each {@linkcode crc32CombineOp} is one matrix-vector product (32 steps).
 *
 * @module
 */

/** The reflected CRC-32 polynomial (IEEE 802.3). */
const POLYNOMIAL = 0xedb88320;
/** Rows of a GF(2) matrix: the bits of a CRC. */
const DIM = 32;

/** `mat` times the bit vector `vec` over GF(2). */
function matrixTimes(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let row = 0; vec !== 0; row++, vec >>>= 1) {
    if (vec & 1) sum ^= mat[row];
  }
  return sum >>> 0;
}

/** `mat` times itself, into `square`. */
function matrixSquare(square: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < DIM; n++) square[n] = matrixTimes(mat, mat[n]);
}

/**
 * An operator that combines CRCs for one length of the second part, from
 * {@linkcode crc32CombineGen}: a 32x32 bit matrix.
 */
export type Crc32CombineOperator = Uint32Array;

/**
 * Calls `apply` with the matrices (zeros operators) whose product appends
 * `len2` zero bytes to a CRC register, in zlib's order.
 */
function zerosOperators(len2: number, apply: (mat: Uint32Array) => void): void {
  const odd = new Uint32Array(DIM);
  const even = new Uint32Array(DIM);
  // The operator for one zero bit.
  odd[0] = POLYNOMIAL;
  for (let n = 1, row = 1; n < DIM; n++, row <<= 1) odd[n] = row;
  matrixSquare(even, odd); // two zero bits
  matrixSquare(odd, even); // four zero bits
  // Each turn squares into the operator for the next power of two of bytes
  // (the first square gives one byte, eight bits) and applies it when that
  // bit of len2 is set. len2 may pass 2^32: halved by division, not by shifts.
  let left = len2;
  let [current, other] = [even, odd];
  while (left > 0) {
    matrixSquare(current, other);
    if (left % 2 === 1) apply(current);
    left = Math.floor(left / 2);
    [current, other] = [other, current];
  }
}

function checkLength(len2: number): void {
  if (!Number.isSafeInteger(len2) || len2 < 0) {
    throw new RangeError(`the second part's length must be a whole number >= 0, got ${len2}`);
  }
}

/**
 * The CRC-32 of `A || B`, given `crc1` = CRC-32 of `A`, `crc2` = CRC-32 of
 * `B`, and `len2` = bytes of `B`: zlib's `crc32_combine(crc1, crc2, len2)`.
 */
export function crc32Combine(crc1: number, crc2: number, len2: number): number {
  checkLength(len2);
  let crc = crc1 >>> 0;
  zerosOperators(len2, (mat) => crc = matrixTimes(mat, crc));
  return (crc ^ crc2) >>> 0;
}

/**
 * The operator of {@linkcode crc32Combine} for a second part of `len2` bytes,
 * built once (zlib's `crc32_combine_gen`); apply it with
 * {@linkcode crc32CombineOp}.
 */
export function crc32CombineGen(len2: number): Crc32CombineOperator {
  checkLength(len2);
  // The product of the operators zlib applies, starting from the identity.
  let op = new Uint32Array(DIM).map((_, n) => 1 << n);
  zerosOperators(len2, (mat) => op = op.map((column) => matrixTimes(mat, column)));
  return op;
}

/**
 * The CRC-32 of `A || B` from `crc1` (of `A`), `crc2` (of `B`) and the
 * operator for `B`'s length from {@linkcode crc32CombineGen} (zlib's
 * `crc32_combine_op`): 32 steps, whatever the length.
 */
export function crc32CombineOp(crc1: number, crc2: number, op: Crc32CombineOperator): number {
  return (matrixTimes(op, crc1 >>> 0) ^ crc2) >>> 0;
}
