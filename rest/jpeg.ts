/**
 * JPEG for the `jpeg` variant, through sharp (libvips, with libjpeg-turbo's
 * codec inside). Loaded only when a JPEG is to be made or read, so that the
 * other variants do not load libvips.
 *
 * Settings, chosen by measurement on a 1080p test frame at quality 90 (2 vCPU
 * machine): `optimiseCoding: false` encodes in about 4-5 ms instead of 27 ms
 * (the optimised Huffman tables save ~30 % of the bytes, ~190 KB -> 137 KB,
 * which loopback does not need); chroma 4:2:0 (sharp's default) is ~30 %
 * faster to encode than 4:4:4; mozjpeg's trellis (`mozjpeg: true`) took
 * 140 ms. Decoding takes about 6-7 ms whatever the settings.
 *
 * @module
 */

import sharp from "sharp";
import type { FrameGeometry } from "../common/frame.ts";

/** The libvips version, for result records. */
export const LIBVIPS_VERSION: string = sharp.versions.vips;

// Decoded frames are used once: libvips' operation cache would only hold memory.
sharp.cache(false);

/** The sharp JPEG options used for `quality`. */
export function jpegOptions(quality: number): sharp.JpegOptions {
  return { quality, optimiseCoding: false, chromaSubsampling: "4:2:0" };
}

/** Encodes an rgb24 frame as JPEG. Copies: libvips reads `frame` in place and returns a new buffer. */
export async function encodeJpeg(
  frame: Uint8Array,
  geometry: FrameGeometry,
  quality: number,
): Promise<Uint8Array> {
  return await sharp(frame, {
    raw: { width: geometry.width, height: geometry.height, channels: 3 },
  })
    .jpeg(jpegOptions(quality))
    .toBuffer();
}

/** A decoded JPEG. */
export interface DecodedJpeg {
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** Channels (3 for rgb24). */
  channels: number;
  /** The pixels, packed rows, a new buffer. */
  pixels: Uint8Array;
}

/**
 * Decodes a JPEG to packed pixels. Rejects with a one-line error when it does
 * not decode, including a truncated or damaged one (libvips' warnings count as
 * errors here).
 */
export async function decodeJpeg(jpeg: Uint8Array): Promise<DecodedJpeg> {
  try {
    const { data, info } = await sharp(jpeg, { failOn: "warning" }).raw().toBuffer({
      resolveWithObject: true,
    });
    return { width: info.width, height: info.height, channels: info.channels, pixels: data };
  } catch (error) {
    throw new Error(`JPEG does not decode: ${(error as Error).message.split("\n")[0]}`);
  }
}
