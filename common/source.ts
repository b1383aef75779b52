/**
 * The synthetic frame source: a small pool of distinct frames made up front (a
 * scrolling test pattern a person recognises in the window), each handed out
 * stamped with its frame index so that a wrong, stale or torn frame is caught.
 *
 * Stamp layout (little-endian, so any language can read it): the frame index as
 * a u64 in the first 8 bytes of the frame and again in its last 8 bytes. A frame
 * whose two stamps differ was torn between two frames.
 *
 * @module
 */

import type { FrameGeometry } from "./frame.ts";

/** Bytes of each index stamp (one at the start, one at the end of a frame). */
export const STAMP_BYTES = 8;

/** Options for {@linkcode FrameSource}. */
export interface FrameSourceOptions {
  /**
   * How many distinct frames to make up front. Frame `i` shows pool frame
   * `i % poolSize`. Default: 8, fewer when 8 frames would pass 256 MiB (at
   * least 2).
   */
  poolSize?: number;
}

const POOL_BUDGET_BYTES = 256 * 1024 * 1024;

/** The eight colour bars of the pattern, as RGB. */
const BARS: readonly (readonly [number, number, number])[] = [
  [235, 235, 235],
  [235, 235, 16],
  [16, 235, 235],
  [16, 235, 16],
  [235, 16, 235],
  [235, 16, 16],
  [16, 16, 235],
  [16, 16, 16],
];

/**
 * Makes the frames that every client sends and checks against.
 *
 * @example
 * ```ts
 * import { FrameSource, parseSize } from "./mod.ts";
 * const source = new FrameSource(parseSize("480p"));
 * const frame = source.frame(42); // stamped with 42, pool frame 42 % 8
 * ```
 */
export class FrameSource {
  /** Geometry of every frame of this source. */
  readonly geometry: FrameGeometry;
  /** Number of distinct frames in the pool. */
  readonly poolSize: number;
  #pool: Uint8Array[];

  constructor(geometry: FrameGeometry, options: FrameSourceOptions = {}) {
    this.geometry = geometry;
    const fit = Math.floor(POOL_BUDGET_BYTES / geometry.frameBytes);
    this.poolSize = options.poolSize ?? Math.max(2, Math.min(8, fit));
    if (!Number.isInteger(this.poolSize) || this.poolSize < 1) {
      throw new RangeError(`poolSize must be a positive integer, got ${this.poolSize}`);
    }
    this.#pool = Array.from({ length: this.poolSize }, (_, p) => this.#paint(p));
  }

  /**
   * Returns frame `index`: the pool frame `index % poolSize`, stamped with
   * `index`. No copy: the stamp is written into the pool frame in place, so the
   * returned bytes stay valid until frame `index + poolSize` is asked for.
   */
  frame(index: number): Uint8Array {
    const frame = this.#pool[index % this.poolSize];
    writeStamp(frame, index);
    return frame;
  }

  /**
   * The pixels that frame `index` must carry, without its stamps: compare a
   * received frame's bytes from {@linkcode STAMP_BYTES} to `frameBytes -
   * STAMP_BYTES` with this.
   */
  body(index: number): Uint8Array {
    const frame = this.#pool[index % this.poolSize];
    return frame.subarray(STAMP_BYTES, frame.length - STAMP_BYTES);
  }

  /** Paints pool frame `p`: colour bars over a grey ramp, scrolled by p/poolSize of the width. */
  #paint(p: number): Uint8Array {
    const { width, height, frameBytes } = this.geometry;
    const frame = new Uint8Array(frameBytes);
    const shift = Math.floor((p * width) / this.poolSize);
    const barsHeight = Math.floor((height * 3) / 4);
    const row = new Uint8Array(width * 3);
    for (let x = 0; x < width; x++) {
      const [r, g, b] = BARS[Math.floor((((x + shift) % width) * 8) / width)];
      row[x * 3] = r;
      row[x * 3 + 1] = g;
      row[x * 3 + 2] = b;
    }
    for (let y = 0; y < barsHeight; y++) frame.set(row, y * width * 3);
    for (let x = 0; x < width; x++) {
      const v = 16 + Math.floor((((x + shift) % width) * 220) / width);
      row[x * 3] = row[x * 3 + 1] = row[x * 3 + 2] = v;
    }
    for (let y = barsHeight; y < height; y++) frame.set(row, y * width * 3);
    return frame;
  }
}

/** Writes `index` as the start and end stamps of `frame`. */
export function writeStamp(frame: Uint8Array, index: number): void {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const lo = index >>> 0;
  const hi = Math.floor(index / 2 ** 32);
  view.setUint32(0, lo, true);
  view.setUint32(4, hi, true);
  view.setUint32(frame.byteLength - 8, lo, true);
  view.setUint32(frame.byteLength - 4, hi, true);
}

/** Reads the start and end stamps of `frame`. */
export function readStamps(frame: Uint8Array): { head: number; tail: number } {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const n = frame.byteLength;
  return {
    head: view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32,
    tail: view.getUint32(n - 8, true) + view.getUint32(n - 4, true) * 2 ** 32,
  };
}
