/**
 * The server's check of a frame in its slot: every byte compared with what
 * frame `index` must hold, with the same verdict as `checkFrame`
 * (../common/verify.ts), but reading the expected bytes from cache.
 *
 * `checkFrame` compares the frame with the source's pool frame: with a pool of
 * 8 frames of 6 MB that is a second 6 MB stream from memory per frame, beyond
 * the 32 MB of L3 that the slots and the client's own pool already fight for.
 * Here the source's pool is analysed once: where consecutive rows of a pool
 * frame are equal (runs of rows; the test pattern has two per frame), a run is
 * checked by comparing its first row with the pool's row, and the rest of the
 * run with itself shifted by one row (`memcmp` of the slot against the slot,
 * the previous row still in cache). That proves every byte equal to the pool
 * frame, exactly as a full comparison would, reading the frame once. A source
 * without such runs is checked with `checkFrame` itself.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { type FrameSource, readStamps, STAMP_BYTES } from "../common/source.ts";
import { checkFrame, type FrameError } from "../common/verify.ts";

/** Above this many runs per frame, the full comparison is used instead. */
const MAX_RUNS = 64;

/** Checks frames against a source, reading each frame once. */
export class FrameCheck {
  readonly #source: FrameSource;
  /** Per pool frame: the first row of each run of equal rows, and the end. */
  readonly #runs: (number[] | undefined)[];
  readonly #rowBytes: number;

  constructor(source: FrameSource) {
    this.#source = source;
    const { width, height, format } = source.geometry;
    this.#rowBytes = source.geometry.frameBytes / height;
    if (!Number.isInteger(this.#rowBytes) || format !== "rgb24" || width * 3 !== this.#rowBytes) {
      this.#runs = [];
      return;
    }
    this.#runs = Array.from({ length: source.poolSize }, (_, p) => this.#findRuns(p));
  }

  /** The rows where a run of equal rows starts in pool frame `p`, plus the height. */
  #findRuns(p: number): number[] | undefined {
    const frame = this.#source.frame(p); // stamps aside, pool frame p's bytes
    const rowBytes = this.#rowBytes;
    const { height } = this.#source.geometry;
    const starts = [0];
    for (let row = 1; row < height; row++) {
      const a = frame.subarray((row - 1) * rowBytes, row * rowBytes);
      const b = frame.subarray(row * rowBytes, (row + 1) * rowBytes);
      // Rows 0 and height-1 hold the stamps in their first/last 8 bytes: compare the rest.
      const from = row - 1 === 0 ? STAMP_BYTES : 0;
      const to = row === height - 1 ? rowBytes - STAMP_BYTES : rowBytes;
      if (Buffer.compare(a.subarray(from, to), b.subarray(from, to)) !== 0) {
        starts.push(row);
        if (starts.length > MAX_RUNS) return undefined;
      }
    }
    starts.push(height);
    return starts;
  }

  /**
   * Returns undefined when `frame` is exactly frame `index` of the source, a
   * {@linkcode FrameError} otherwise (the same as `checkFrame` would return).
   */
  check(frame: Uint8Array, index: number): FrameError | undefined {
    const source = this.#source;
    const runs = this.#runs[index % source.poolSize];
    const { frameBytes } = source.geometry;
    if (!runs || frame.byteLength !== frameBytes) return checkFrame(source, frame, index);
    const { head, tail } = readStamps(frame);
    if (head !== tail || head !== index) return checkFrame(source, frame, index);
    const expected = source.body(index); // the pool frame, without its stamps
    const r = this.#rowBytes;
    const body = frame.subarray(STAMP_BYTES, frameBytes - STAMP_BYTES);
    // Offsets below are in `body` (the frame without its first 8 bytes).
    const equal = (from: number, to: number) =>
      Buffer.compare(body.subarray(from, to), expected.subarray(from, to)) === 0;
    const same = (from: number, to: number) =>
      // Bytes [from, to) equal the bytes one row earlier: every row equals the one before it.
      Buffer.compare(body.subarray(from, to), body.subarray(from - r, to - r)) === 0;
    for (let k = 0; k + 1 < runs.length; k++) {
      const first = runs[k];
      const end = runs[k + 1];
      // The run's first row against the pool; for the frame's first run, row 0
      // (which holds the start stamp) and row 1, so that the shifted
      // comparison never reads the stamp.
      const checked = first === 0 && end > 1 ? 2 : first + 1;
      const rowFrom = Math.max(0, first * r - STAMP_BYTES);
      if (!equal(rowFrom, Math.min(checked * r - STAMP_BYTES, body.byteLength))) {
        return checkFrame(source, frame, index);
      }
      // The rest of the run, row by row against the previous row; the frame's
      // last row holds the end stamp, which `body` leaves out.
      const to = Math.min(end * r - STAMP_BYTES, body.byteLength);
      const from = checked * r - STAMP_BYTES;
      if (from < to && !same(from, to)) return checkFrame(source, frame, index);
    }
    return undefined;
  }
}
