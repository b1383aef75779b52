/**
 * Frame properties: the small fixed header that travels with (or instead of)
 * a frame's pixels: index, geometry, pixel format, shared-memory slot, send
 * time. 32 bytes, little-endian, so that any language can read it:
 *
 * | offset | type | field                                          |
 * |-------:|------|------------------------------------------------|
 * |      0 | u32  | magic `0x31504246` ("FBP1")                    |
 * |      4 | u16  | pixel format code (1 = rgb24)                  |
 * |      6 | u16  | slot in a shared-memory ring, `0xffff` if none |
 * |      8 | u32  | width                                          |
 * |     12 | u32  | height                                         |
 * |     16 | u64  | frame index                                    |
 * |     24 | f64  | send time, ms since the Unix epoch             |
 *
 * @module
 */

import { FORMAT_CODES, formatFromCode, type PixelFormat } from "./frame.ts";

/** Bytes of encoded frame properties. */
export const PROPERTIES_BYTES = 32;
/** The magic number that starts encoded frame properties ("FBP1"). */
export const PROPERTIES_MAGIC = 0x31504246;
/** The slot value meaning "the pixels travel with the message". */
export const NO_SLOT = 0xffff;

/** The properties of one frame. */
export interface FrameProperties {
  /** Frame index. */
  index: number;
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** Pixel format. */
  format: PixelFormat;
  /** Shared-memory slot holding the pixels, or {@linkcode NO_SLOT}. */
  slot: number;
  /** Send time in ms: in a stream, the publish time on common/clock.ts's shared clock. */
  sentAt: number;
}

/** Writes `p` into `out` (at least {@linkcode PROPERTIES_BYTES} long) and returns `out`. */
export function encodeProperties(
  p: FrameProperties,
  out = new Uint8Array(PROPERTIES_BYTES),
): Uint8Array {
  const view = new DataView(out.buffer, out.byteOffset, PROPERTIES_BYTES);
  view.setUint32(0, PROPERTIES_MAGIC, true);
  view.setUint16(4, FORMAT_CODES[p.format], true);
  view.setUint16(6, p.slot, true);
  view.setUint32(8, p.width, true);
  view.setUint32(12, p.height, true);
  view.setBigUint64(16, BigInt(p.index), true);
  view.setFloat64(24, p.sentAt, true);
  return out;
}

/**
 * Reads frame properties. Throws a one-line error when `bytes` is not a valid
 * encoding (wrong length, wrong magic, unknown pixel format).
 */
export function decodeProperties(bytes: Uint8Array): FrameProperties {
  if (bytes.byteLength !== PROPERTIES_BYTES) {
    throw new Error(`frame properties must be ${PROPERTIES_BYTES} bytes, got ${bytes.byteLength}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, PROPERTIES_BYTES);
  const magic = view.getUint32(0, true);
  if (magic !== PROPERTIES_MAGIC) {
    throw new Error(
      `frame properties start with 0x${magic.toString(16)}, not the magic 0x${
        PROPERTIES_MAGIC.toString(16)
      }`,
    );
  }
  const code = view.getUint16(4, true);
  const format = formatFromCode(code);
  if (format === undefined) throw new Error(`unknown pixel format code ${code}`);
  return {
    format,
    slot: view.getUint16(6, true),
    width: view.getUint32(8, true),
    height: view.getUint32(12, true),
    index: Number(view.getBigUint64(16, true)),
    sentAt: view.getFloat64(24, true),
  };
}

/** Properties that end a stream: a 0x0 frame whose index is the number of frames published. */
export function encodeStreamEnd(
  published: number,
  sentAt: number,
  out = new Uint8Array(PROPERTIES_BYTES),
): Uint8Array {
  return encodeProperties(
    { index: published, width: 0, height: 0, format: "rgb24", slot: NO_SLOT, sentAt },
    out,
  );
}

/** Whether `p` ends a stream ({@linkcode encodeStreamEnd}): then `p.index` frames were published. */
export function isStreamEnd(p: FrameProperties): boolean {
  return p.width === 0 && p.height === 0;
}
