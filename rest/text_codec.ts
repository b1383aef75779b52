/**
 * Frames as text, as the original study sent them: base64 or hex, with the
 * codecs built into this Deno (`native`: `Uint8Array.prototype.toBase64`,
 * `setFromBase64`, `toHex`, `setFromHex`, SIMD in V8) or a pure-JS port of
 * @std/encoding (`js`: the npm package byte-encodings), the gap the study saw
 * between its two encoders.
 *
 * @module
 */

import { decodeBase64, decodeHex, encodeBase64, encodeHex } from "byte-encodings";

/** The text encodings a frame travels in. */
export type TextEncoding = "base64" | "hex";
/** The codec implementations. */
export type EncoderName = "native" | "js";
/** Encoder names `--encoder` takes; the first is the default. */
export const ENCODERS: readonly EncoderName[] = ["native", "js"];

/** Text that does not decode to the bytes it should: invalid characters or the wrong length. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

/** Encodes frames to text and decodes text back to frames. */
export interface TextCodec {
  /** `base64` or `hex`. */
  readonly encoding: TextEncoding;
  /** `native` or `js`. */
  readonly encoder: EncoderName;
  /** The text of `bytes`. */
  encode(bytes: Uint8Array): string;
  /**
   * Decodes `text`, which must hold exactly `out.byteLength` bytes, and
   * returns the decoded bytes: `out` itself for the native codec (decoded in
   * place, no new buffer), a new array for the JS codec. Throws
   * {@linkcode DecodeError} for invalid text or the wrong length.
   */
  decode(text: string, out: Uint8Array): Uint8Array;
}

/**
 * The number of bytes that `text` decodes to, computed from its length
 * (base64 padding counted), or -1 when no text of that length is valid.
 */
export function decodedLength(text: string, encoding: TextEncoding): number {
  if (encoding === "hex") return text.length % 2 === 0 ? text.length / 2 : -1;
  let length = text.length;
  if (text.endsWith("==")) length -= 2;
  else if (text.endsWith("=")) length -= 1;
  return length % 4 === 1 ? -1 : Math.floor((length * 3) / 4);
}

function checkLength(text: string, encoding: TextEncoding, expected: number): void {
  const length = decodedLength(text, encoding);
  if (length !== expected) {
    throw new DecodeError(
      length < 0
        ? `data is ${text.length} characters, not a whole number of bytes in ${encoding}`
        : `data holds ${length} bytes, the stated size needs ${expected}`,
    );
  }
}

// The native codecs are ES2026 (proposal-arraybuffer-base64), in V8 and this
// Deno; typed here in case the TypeScript lib in use does not know them yet.
interface NativeCodecs {
  toBase64(): string;
  toHex(): string;
  setFromBase64(text: string): { read: number; written: number };
  setFromHex(text: string): { read: number; written: number };
}
const native = (bytes: Uint8Array) => bytes as unknown as NativeCodecs;

function decodeNative(text: string, out: Uint8Array, encoding: TextEncoding): Uint8Array {
  checkLength(text, encoding, out.byteLength);
  let result: { read: number; written: number };
  try {
    result = encoding === "base64" ? native(out).setFromBase64(text) : native(out).setFromHex(text);
  } catch (error) {
    throw new DecodeError(`data is not valid ${encoding}: ${(error as Error).message}`);
  }
  if (result.read !== text.length || result.written !== out.byteLength) {
    throw new DecodeError(
      `data decoded to ${result.written} bytes (of ${text.length} characters, ${result.read} read), the stated size needs ${out.byteLength}`,
    );
  }
  return out;
}

function decodeJs(text: string, out: Uint8Array, encoding: TextEncoding): Uint8Array {
  checkLength(text, encoding, out.byteLength);
  let bytes: Uint8Array;
  try {
    bytes = encoding === "base64" ? decodeBase64(text) : decodeHex(text);
  } catch (error) {
    throw new DecodeError(`data is not valid ${encoding}: ${(error as Error).message}`);
  }
  if (bytes.byteLength !== out.byteLength) {
    throw new DecodeError(
      `data decoded to ${bytes.byteLength} bytes, the stated size needs ${out.byteLength}`,
    );
  }
  return bytes;
}

/** The codec for `encoding` implemented by `encoder`. */
export function textCodec(encoding: TextEncoding, encoder: EncoderName): TextCodec {
  if (encoder === "native") {
    return {
      encoding,
      encoder,
      encode: encoding === "base64"
        ? (bytes) => native(bytes).toBase64()
        : (bytes) => native(bytes).toHex(),
      decode: (text, out) => decodeNative(text, out, encoding),
    };
  }
  return {
    encoding,
    encoder,
    encode: encoding === "base64" ? encodeBase64 : encodeHex,
    decode: (text, out) => decodeJs(text, out, encoding),
  };
}
