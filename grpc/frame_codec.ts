/**
 * A hand-written protobuf codec for `framebench.Frame`, used instead of
 * protobufjs for the two methods of `FrameEcho` (grpc-js takes a `serialize`
 * and a `deserialize` function per method). It reads and writes the same
 * wire format as any protobuf library (the tests check it against
 * protobufjs both ways), with the field numbers taken from the schema that
 * proto-loader loaded, so that the two cannot drift apart.
 *
 * What it saves over protobufjs (measured in README.md):
 * - decoding: the pixels are a view of the received message, never copied,
 *   and no intermediate objects are made;
 * - encoding: one allocation and one copy of the pixels, into a buffer of
 *   exactly the message's size;
 * - echo: a message that goes back exactly as it was decoded is not encoded
 *   again: its received bytes are sent (see {@linkcode FrameCodec.serialize}).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { FrameMessage } from "./service.ts";

/** Protobuf wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** The field numbers of `Frame`, by camelCase name. */
export type FrameFieldNumbers = Readonly<Record<keyof FrameMessage, number>>;

/** The field numbers of proto/frames.proto, for when no schema is at hand. */
export const FRAME_FIELDS: FrameFieldNumbers = {
  width: 1,
  height: 2,
  format: 3,
  index: 4,
  timestamp: 5,
  pixels: 6,
  offset: 7,
  frameBytes: 8,
};

/** The wire type each field must have. */
const WIRE_TYPES: Readonly<Record<keyof FrameMessage, number>> = {
  width: VARINT,
  height: VARINT,
  format: VARINT,
  index: VARINT,
  timestamp: FIXED64,
  pixels: LENGTH_DELIMITED,
  offset: VARINT,
  frameBytes: VARINT,
};

const VARINT_FIELDS = ["width", "height", "format", "index", "offset", "frameBytes"] as const;

/** Bytes of `value` (a whole number from 0 to 2^53) as a varint. */
function varintBytes(value: number): number {
  let n = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 128) {
    out[at++] = (value % 128) | 128;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}

/** Encodes and decodes `Frame` messages; see the module documentation. */
export class FrameCodec {
  readonly #fields: FrameFieldNumbers;
  readonly #byNumber = new Map<number, keyof FrameMessage>();
  /** Messages this codec decoded, with the bytes they were decoded from. */
  readonly #decodedFrom = new WeakMap<FrameMessage, Buffer>();
  readonly #scratch = new Float64Array(1);
  readonly #scratchBytes = new Uint8Array(this.#scratch.buffer);

  constructor(fields: FrameFieldNumbers = FRAME_FIELDS) {
    this.#fields = fields;
    for (const [name, number] of Object.entries(fields)) {
      this.#byNumber.set(number, name as keyof FrameMessage);
    }
  }

  /**
   * The bytes of `message`. A message that this codec decoded (it is frozen,
   * so it cannot have changed) is returned as the bytes it came from,
   * without a copy: that is the echo. Otherwise one
   * buffer of the exact size is allocated and the pixels are copied into it
   * (the one copy grpc-js needs, since a message is one contiguous buffer).
   */
  serialize = (message: FrameMessage): Buffer => {
    const original = this.#decodedFrom.get(message);
    if (original) return original;
    const head = this.encodeHead(message);
    const pixels = message.pixels;
    const out = Buffer.allocUnsafe(head.byteLength + pixels.byteLength);
    out.set(head, 0);
    out.set(pixels, head.byteLength); // the copy of the pixels
    return out;
  };

  /**
   * Every byte of `message`'s encoding that comes before its pixels (every
   * other field, then the pixels' tag and length), so that the message is
   * these bytes followed by `message.pixels`: a sender that can write the
   * two one after the other (framebench's own HTTP/2, ./lean_client.ts)
   * never copies the pixels.
   */
  encodeHead(message: FrameMessage): Uint8Array {
    const fields = this.#fields;
    let header = 0;
    for (const name of VARINT_FIELDS) {
      const value = message[name];
      if (value) header += varintBytes(fields[name] << 3) + varintBytes(value);
    }
    if (message.timestamp) header += varintBytes(fields.timestamp << 3) + 8;
    const pixels = message.pixels;
    header += varintBytes(fields.pixels << 3) + varintBytes(pixels.byteLength);
    const out = new Uint8Array(header);
    let at = 0;
    for (const name of VARINT_FIELDS) {
      const value = message[name];
      if (!value) continue; // proto3: a default value is not written
      at = writeVarint(out, at, (fields[name] << 3) | VARINT);
      at = writeVarint(out, at, value);
    }
    if (message.timestamp) {
      at = writeVarint(out, at, (fields.timestamp << 3) | FIXED64);
      this.#scratch[0] = message.timestamp;
      out.set(this.#scratchBytes, at); // little-endian on every platform Deno runs on
      at += 8;
    }
    at = writeVarint(out, at, (fields.pixels << 3) | LENGTH_DELIMITED);
    writeVarint(out, at, pixels.byteLength);
    return out;
  }

  /**
   * Reads a message, frozen. The pixels are a view of `bytes`, not a copy. Unknown
   * fields are skipped, as protobuf requires; a truncated message, a field of
   * the wrong wire type or a value out of range throws a one-line error.
   */
  deserialize = (bytes: Buffer): FrameMessage => {
    const message: FrameMessage = {
      width: 0,
      height: 0,
      format: 0,
      index: 0,
      timestamp: 0,
      pixels: bytes.subarray(0, 0),
      offset: 0,
      frameBytes: 0,
    };
    const end = bytes.byteLength;
    let at = 0;
    const varint = (): number => {
      let value = 0;
      let scale = 1;
      for (let i = 0; i < 10; i++) {
        if (at >= end) throw new Error("Frame message truncated in a varint");
        const byte = bytes[at++];
        value += (byte & 127) * scale;
        if (byte < 128) {
          if (value > Number.MAX_SAFE_INTEGER) throw new Error("Frame varint over 2^53");
          return value;
        }
        scale *= 128;
      }
      throw new Error("Frame varint longer than 10 bytes");
    };
    while (at < end) {
      const key = varint();
      const number = Math.floor(key / 8);
      const wireType = key % 8;
      const name = this.#byNumber.get(number);
      if (name !== undefined && WIRE_TYPES[name] !== wireType) {
        throw new Error(`Frame field ${name} has wire type ${wireType}, not ${WIRE_TYPES[name]}`);
      }
      switch (wireType) {
        case VARINT: {
          const value = varint();
          if (name !== undefined && name !== "timestamp" && name !== "pixels") {
            // uint32 fields keep their low 32 bits, as protobuf decoders do.
            message[name] = name === "index" ? value : value % 2 ** 32;
          }
          break;
        }
        case FIXED64: {
          if (at + 8 > end) throw new Error("Frame message truncated in a 64-bit field");
          if (name === "timestamp") {
            this.#scratchBytes.set(bytes.subarray(at, at + 8));
            message.timestamp = this.#scratch[0];
          }
          at += 8;
          break;
        }
        case LENGTH_DELIMITED: {
          const length = varint();
          if (at + length > end) throw new Error("Frame message truncated in a bytes field");
          if (name === "pixels") message.pixels = bytes.subarray(at, at + length);
          at += length;
          break;
        }
        case FIXED32:
          if (at + 4 > end) throw new Error("Frame message truncated in a 32-bit field");
          at += 4;
          break;
        default:
          throw new Error(`Frame message has a field of unknown wire type ${wireType}`);
      }
    }
    // Frozen, so that a message that is sent back is the one decoded.
    Object.freeze(message);
    this.#decodedFrom.set(message, bytes);
    return message;
  };
}
