/**
 * The checksum the shared-memory server must report for each frame that the
 * framebench client sends (zlib's CRC-32 of the whole frame, stamps
 * included), made without reading the frame: the CRC of each pool frame's
 * body (the bytes between the two 8-byte index stamps) is computed once per
 * pool frame, and combined with the CRCs of the frame's two stamps
 * (crc32_combine.ts). Per frame that is two CRCs of 8 bytes and two 32-step
 * matrix products: well under a microsecond.
 *
 * @module
 */

import { crc32 } from "node:zlib";
import { type FrameSource, STAMP_BYTES } from "../common/source.ts";
import { crc32CombineGen, crc32CombineOp, type Crc32CombineOperator } from "./crc32_combine.ts";

/** The CRC-32 of each frame of a {@linkcode FrameSource}, without reading the frame. */
export class ExpectedChecksums {
  /** The frames' source. */
  readonly source: FrameSource;
  readonly #bodies: (number | undefined)[];
  readonly #bodyOp: Crc32CombineOperator;
  readonly #stampOp: Crc32CombineOperator = crc32CombineGen(STAMP_BYTES);
  readonly #stamp = new Uint8Array(STAMP_BYTES);
  readonly #stampView = new DataView(this.#stamp.buffer);

  constructor(source: FrameSource) {
    this.source = source;
    this.#bodies = new Array(source.poolSize);
    this.#bodyOp = crc32CombineGen(source.geometry.frameBytes - 2 * STAMP_BYTES);
  }

  /** The CRC-32 of frame `index` of the source: start stamp, body, end stamp. */
  of(index: number): number {
    const p = index % this.source.poolSize;
    // Once per pool frame (the first time it is sent): the body never
    // changes, only the stamps do.
    const body = this.#bodies[p] ??= crc32(this.source.body(p));
    this.#stampView.setBigUint64(0, BigInt(index), true);
    const stamp = crc32(this.#stamp);
    return crc32CombineOp(crc32CombineOp(stamp, body, this.#bodyOp), stamp, this.#stampOp);
  }
}
