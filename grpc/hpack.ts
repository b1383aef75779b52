/**
 * HPACK (RFC 7541), the header compression of HTTP/2: a decoder with the
 * static table, the dynamic table and Huffman decoding (./huffman.ts), as
 * any peer may use them, and an encoder that uses the static table and
 * otherwise plain literals that are never indexed (so it keeps no dynamic
 * table and the peer's table size never matters to it).
 *
 * @module
 */

import { huffmanDecode } from "./huffman.ts";

/** A header field: lower-case name and value. */
export type HeaderField = readonly [name: string, value: string];

/** The static table (RFC 7541 Appendix A); entry i is index i + 1. */
export const STATIC_TABLE: readonly HeaderField[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/** A header block that cannot be decoded: an HTTP/2 COMPRESSION_ERROR (connection error). */
export class HpackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HpackError";
  }
}

/** An entry's size in the dynamic table: its octets plus 32 (RFC 7541 section 4.1). */
function entrySize(name: string, value: string): number {
  return name.length + value.length + 32;
}

/** Options for {@linkcode HpackDecoder}. */
export interface HpackDecoderOptions {
  /** Most bytes of dynamic table (our SETTINGS_HEADER_TABLE_SIZE). Default: 4096. */
  maxTableSize?: number;
  /** Most bytes of decoded header list (RFC 7541 section 4.1 sizes). Default: 65536. */
  maxHeaderListSize?: number;
}

/** Decodes the header blocks of one connection, in order (the dynamic table is per connection). */
export class HpackDecoder {
  readonly #maxTableSize: number;
  readonly #maxHeaderListSize: number;
  /** Newest first. */
  #table: HeaderField[] = [];
  #tableBytes = 0;
  #tableLimit: number;

  constructor(options: HpackDecoderOptions = {}) {
    this.#maxTableSize = options.maxTableSize ?? 4096;
    this.#maxHeaderListSize = options.maxHeaderListSize ?? 65536;
    this.#tableLimit = this.#maxTableSize;
  }

  /** Bytes in the dynamic table now (for tests). */
  get tableBytes(): number {
    return this.#tableBytes;
  }

  /** The dynamic table, newest first (for tests). */
  get table(): readonly HeaderField[] {
    return this.#table;
  }

  /** Decodes one complete header block; throws {@linkcode HpackError}. */
  decode(block: Uint8Array): HeaderField[] {
    const fields: HeaderField[] = [];
    let listBytes = 0;
    let at = 0;
    let sawField = false;
    const integer = (prefixBits: number): number => {
      const max = (1 << prefixBits) - 1;
      let value = block[at++] & max;
      if (value < max) return value;
      let scale = 1;
      for (;;) {
        if (at >= block.length) throw new HpackError("header block ends in an integer");
        const byte = block[at++];
        value += (byte & 0x7f) * scale;
        scale *= 128;
        if (value > 0x7fffffff) throw new HpackError("integer in a header block over 2^31");
        if (byte < 0x80) return value;
      }
    };
    const string = (): string => {
      if (at >= block.length) throw new HpackError("header block ends before a string");
      const huffman = (block[at] & 0x80) !== 0;
      const length = integer(7);
      if (at + length > block.length) throw new HpackError("header string runs past the block");
      let bytes = block.subarray(at, at + length);
      at += length;
      if (huffman) {
        try {
          bytes = huffmanDecode(bytes);
        } catch (error) {
          throw new HpackError((error as Error).message);
        }
      }
      let text = "";
      for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
      return text;
    };
    const emit = (field: HeaderField) => {
      listBytes += entrySize(field[0], field[1]);
      if (listBytes > this.#maxHeaderListSize) {
        throw new HpackError(`header list over ${this.#maxHeaderListSize} bytes`);
      }
      fields.push(field);
      sawField = true;
    };
    while (at < block.length) {
      const first = block[at];
      if (first & 0x80) { // indexed field
        emit(this.#entry(integer(7)));
      } else if (first & 0x40) { // literal with incremental indexing
        const index = integer(6);
        const name = index ? this.#entry(index)[0] : string();
        const field: HeaderField = [name, string()];
        emit(field);
        this.#insert(field);
      } else if (first & 0x20) { // dynamic table size update
        if (sawField) throw new HpackError("table size update after a header field");
        const size = integer(5);
        if (size > this.#maxTableSize) {
          throw new HpackError(`table size update to ${size}, over ${this.#maxTableSize}`);
        }
        this.#tableLimit = size;
        this.#evict(0);
      } else { // literal without indexing (0000) or never indexed (0001)
        const index = integer(4);
        const name = index ? this.#entry(index)[0] : string();
        emit([name, string()]);
      }
    }
    return fields;
  }

  #entry(index: number): HeaderField {
    if (index === 0) throw new HpackError("header index 0");
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1];
    const entry = this.#table[index - STATIC_TABLE.length - 1];
    if (!entry) throw new HpackError(`header index ${index} beyond the tables`);
    return entry;
  }

  /** Makes room for `bytes` more (RFC 7541 section 4.4). */
  #evict(bytes: number): void {
    while (this.#table.length > 0 && this.#tableBytes + bytes > this.#tableLimit) {
      const [name, value] = this.#table.pop()!;
      this.#tableBytes -= entrySize(name, value);
    }
  }

  #insert(field: HeaderField): void {
    const size = entrySize(field[0], field[1]);
    this.#evict(size);
    // An entry larger than the table empties it and is not added.
    if (size <= this.#tableLimit) {
      this.#table.unshift(field);
      this.#tableBytes += size;
    }
  }
}

/** The static index of each name, and of each name and value. */
const STATIC_NAMES = new Map<string, number>();
const STATIC_FIELDS = new Map<string, number>();
STATIC_TABLE.forEach(([name, value], i) => {
  if (!STATIC_NAMES.has(name)) STATIC_NAMES.set(name, i + 1);
  if (value) STATIC_FIELDS.set(`${name}\0${value}`, i + 1);
});

/** Appends an HPACK integer with a prefix of `prefixBits` whose other bits are `flags`. */
function pushInteger(out: number[], value: number, prefixBits: number, flags: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  value -= max;
  while (value >= 128) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

function pushString(out: number[], text: string): void {
  pushInteger(out, text.length, 7, 0); // H = 0: a raw literal
  for (let i = 0; i < text.length; i++) out.push(text.charCodeAt(i) & 0xff);
}

/**
 * Encodes a header list: a field of the static table as its index, any other
 * as a literal never added to the dynamic table (with the static index of its
 * name when there is one). Names must be lower case; values are sent as
 * Latin-1 bytes.
 */
export function hpackEncode(fields: readonly HeaderField[]): Uint8Array {
  const out: number[] = [];
  for (const [name, value] of fields) {
    const full = STATIC_FIELDS.get(`${name}\0${value}`);
    if (full !== undefined) {
      pushInteger(out, full, 7, 0x80);
      continue;
    }
    const nameIndex = STATIC_NAMES.get(name);
    if (nameIndex !== undefined) {
      pushInteger(out, nameIndex, 4, 0x00);
    } else {
      out.push(0x00);
      pushString(out, name);
    }
    pushString(out, value);
  }
  return Uint8Array.from(out);
}
