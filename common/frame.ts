/**
 * Frame geometry: the size and pixel format of the frames a run moves, and the
 * `--size` presets.
 *
 * @module
 */

/** A pixel format a frame can carry. Only packed 8-bit RGB today. */
export type PixelFormat = "rgb24";

/** Bytes per pixel of each pixel format. */
export const BYTES_PER_PIXEL: Readonly<Record<PixelFormat, number>> = {
  rgb24: 3,
};

/**
 * The numeric code of each pixel format on the wire (frame properties, shared
 * memory header). Never renumber: other languages read these codes.
 */
export const FORMAT_CODES: Readonly<Record<PixelFormat, number>> = {
  rgb24: 1,
};

/** The width, height and pixel format of a frame, and its size in bytes. */
export interface FrameGeometry {
  /** Pixels per row. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
  /** Pixel format. */
  readonly format: PixelFormat;
  /** Bytes of one frame: width * height * bytes per pixel (rows are packed). */
  readonly frameBytes: number;
}

/** The named sizes that `--size` accepts besides `WxH`. */
export const SIZE_PRESETS: Readonly<Record<string, readonly [number, number]>> = {
  "480p": [640, 480],
  "720p": [1280, 720],
  "1080p": [1920, 1080],
  "4k": [3840, 2160],
};

/** The largest side `--size` accepts; 8K is the most any camera here makes. */
export const MAX_SIDE = 8192;

/**
 * The smallest side `--size` accepts: a frame must hold its index stamp at the
 * start and at the end (see `source.ts`).
 */
export const MIN_SIDE = 8;

/** Builds a geometry, checking that the sides are whole numbers in range. */
export function frameGeometry(
  width: number,
  height: number,
  format: PixelFormat = "rgb24",
): FrameGeometry {
  for (const [name, side] of [["width", width], ["height", height]] as const) {
    if (!Number.isInteger(side) || side < MIN_SIDE || side > MAX_SIDE) {
      throw new RangeError(
        `frame ${name} must be a whole number from ${MIN_SIDE} to ${MAX_SIDE}, got ${side}`,
      );
    }
  }
  if (!Object.hasOwn(BYTES_PER_PIXEL, format)) {
    throw new RangeError(`unknown pixel format "${format}"`);
  }
  return { width, height, format, frameBytes: width * height * BYTES_PER_PIXEL[format] };
}

/**
 * Parses a `--size` value: a preset (`480p`, `720p`, `1080p`, `4k`) or `WxH`.
 *
 * @example
 * ```ts
 * import { parseSize } from "./frame.ts";
 * parseSize("1080p").frameBytes; // 6220800
 * parseSize("320x240").width; // 320
 * ```
 */
export function parseSize(text: string, format: PixelFormat = "rgb24"): FrameGeometry {
  const preset = SIZE_PRESETS[text.toLowerCase()];
  if (preset) return frameGeometry(preset[0], preset[1], format);
  const match = /^(\d+)x(\d+)$/i.exec(text);
  if (!match) {
    throw new RangeError(
      `--size must be one of ${Object.keys(SIZE_PRESETS).join(", ")} or WxH, got "${text}"`,
    );
  }
  return frameGeometry(Number(match[1]), Number(match[2]), format);
}

/** The short name of a geometry, as `--size` would take it: `1920x1080`. */
export function sizeName(geometry: FrameGeometry): string {
  return `${geometry.width}x${geometry.height}`;
}

/** Returns the pixel format whose wire code is `code`, or undefined. */
export function formatFromCode(code: number): PixelFormat | undefined {
  return (Object.keys(FORMAT_CODES) as PixelFormat[]).find((f) => FORMAT_CODES[f] === code);
}
