/**
 * The Huffman code of HPACK (RFC 7541 Appendix B): decoding, which a peer may
 * use for any header string (grpc-js's and grpcio's HTTP/2 stacks do), and
 * encoding, which this implementation never needs on the wire (it sends
 * literals) but the tests use to check decoding.
 *
 * The code is canonical (codes of one length are consecutive, in symbol
 * order), so the table is just the length of each symbol's code.
 *
 * @module
 */

/**
 * The code length of symbols 0-255 and of EOS (256), one letter each: `A` is
 * 5 bits, `B` 6, ... `Z` 30 (RFC 7541 Appendix B).
 */
const CODE_LENGTHS =
  "ISXXXXXXXTZXXZXXXXXXXXZXXXXXXXXXBFFHIBDGFFDGDBBBAAABBBBBBBCDKBHFIBCCCCCCCCCCCCCCCCCCCCCCDCDIOIJBKABABABBBACCBBBABCBAABCCCCCKGJIXPRPPRRRSRSSSSSTSTTRSTSSSSQRSRSSTRQPRRSSQSRRTQRSSQQRQSRSSPRRRSRRSVVPORSRUVVVWWVTUOQVWWVWTQQVVXWWWPTPQRQQSRRUUTTVSVWVVWWWWWXWWWWWVZ";

/** The end-of-string symbol: never in a valid string. */
const EOS = 256;

/** Each symbol's code (in the low `lengths[s]` bits) and length. */
const codes = new Uint32Array(257);
const lengths = new Uint8Array(257);
{
  for (let s = 0; s <= EOS; s++) lengths[s] = CODE_LENGTHS.charCodeAt(s) - 65 + 5;
  const order = Array.from({ length: 257 }, (_, s) => s).sort((a, b) =>
    lengths[a] - lengths[b] || a - b
  );
  let code = 0;
  let previous = lengths[order[0]];
  for (const s of order) {
    code = code * 2 ** (lengths[s] - previous); // no << : codes reach 30 bits
    previous = lengths[s];
    codes[s] = code++;
  }
}

/**
 * The decoding tree: node `n` has children `tree[2n]` (bit 0) and
 * `tree[2n + 1]` (bit 1); a child below 0 is the leaf of symbol `-child - 1`,
 * 0 is no child (the root is never a child).
 */
const tree = new Int32Array(2 * 2 * 257);
{
  let nodes = 1;
  for (let s = 0; s <= EOS; s++) {
    let node = 0;
    for (let i = lengths[s] - 1; i >= 0; i--) {
      const bit = Math.floor(codes[s] / 2 ** i) % 2;
      const slot = 2 * node + bit;
      if (i === 0) tree[slot] = -s - 1;
      else node = tree[slot] ||= nodes++;
    }
  }
}

/** A Huffman-coded string that is not valid (RFC 7541 section 5.2): a COMPRESSION_ERROR. */
export class HuffmanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HuffmanError";
  }
}

/**
 * Decodes a Huffman-coded string into its bytes. Throws {@linkcode HuffmanError}
 * for the EOS symbol, padding longer than 7 bits, or padding that is not the
 * most significant bits of EOS (all ones).
 */
export function huffmanDecode(bytes: Uint8Array): Uint8Array {
  // A symbol is at least 5 bits: at most 8/5 symbols per byte.
  const out = new Uint8Array(Math.ceil((bytes.length * 8) / 5));
  let n = 0;
  let node = 0;
  let pending = 0; // bits read since the last symbol
  let allOnes = true; // whether those bits are all ones
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >> b) & 1;
      const next = tree[2 * node + bit];
      pending++;
      allOnes &&= bit === 1;
      if (next < 0) {
        const symbol = -next - 1;
        if (symbol === EOS) throw new HuffmanError("Huffman string contains EOS");
        out[n++] = symbol;
        node = 0;
        pending = 0;
        allOnes = true;
      } else {
        node = next;
      }
    }
  }
  if (pending > 7) throw new HuffmanError("Huffman padding longer than 7 bits");
  if (!allOnes) throw new HuffmanError("Huffman padding is not all ones");
  return out.subarray(0, n);
}

/** Encodes bytes with the Huffman code, padded with ones (RFC 7541 section 5.2). */
export function huffmanEncode(bytes: Uint8Array): Uint8Array {
  let bits = 0;
  for (const b of bytes) bits += lengths[b];
  const out = new Uint8Array(Math.ceil(bits / 8));
  let at = 0; // bit position
  for (const b of bytes) {
    for (let i = lengths[b] - 1; i >= 0; i--) {
      if (Math.floor(codes[b] / 2 ** i) % 2) out[at >> 3] |= 0x80 >> (at & 7);
      at++;
    }
  }
  for (; at < out.length * 8; at++) out[at >> 3] |= 0x80 >> (at & 7);
  return out;
}

/** The code of `symbol` (0-256) as a string of 0s and 1s, for tests. */
export function huffmanCode(symbol: number): string {
  return codes[symbol].toString(2).padStart(lengths[symbol], "0");
}
