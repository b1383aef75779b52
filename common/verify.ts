/**
 * Verification of every received frame: right size, right index, not torn,
 * right bytes. A failure is a {@linkcode FrameError} that the caller counts.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { type FrameSource, readStamps, STAMP_BYTES } from "./source.ts";

/** What was wrong with a frame. */
export type FrameErrorKind = "size" | "torn" | "stale" | "wrong-index" | "corrupt";

/** A frame that failed verification, with a one-line reason. */
export interface FrameError {
  /** What was wrong. */
  readonly kind: FrameErrorKind;
  /** The index the frame should have had. */
  readonly index: number;
  /** One line a person can read. */
  readonly message: string;
}

/**
 * Checks `received` against frame `index` of `source`: returns undefined when
 * it is exactly the frame that was sent, a {@linkcode FrameError} otherwise.
 *
 * Every byte is compared with what it must be (native `memcmp` through
 * `Buffer.compare`), reading `received` once: so this is also the consumer
 * reading the whole frame. The expected bytes come from cache, not from the
 * source's pool in memory (see {@linkcode rowRuns}): a pool of 8 frames of
 * 6 MB is beyond the L3 cache, and a second 6 MB stream per frame would cost
 * as much as the transport's own copy (about 0.15 ms per 1080p frame).
 */
export function checkFrame(
  source: FrameSource,
  received: Uint8Array,
  index: number,
): FrameError | undefined {
  const problem = checkStamps(source, received, index);
  if (problem || bodyMatches(source, received, index)) return problem;
  const { frameBytes } = source.geometry;
  const body = received.subarray(STAMP_BYTES, frameBytes - STAMP_BYTES);
  const expected = source.body(index);
  let at = 0;
  while (at < body.byteLength && body[at] === expected[at]) at++;
  return {
    kind: "corrupt",
    index,
    message: `frame ${index}: bytes differ from offset ${at + STAMP_BYTES} (of ${frameBytes})`,
  };
}

/**
 * The part of {@linkcode checkFrame} that does not look at the pixels: the
 * size, and the index stamps (torn, stale, wrong index). For a transport
 * whose frames cannot come back byte for byte (a lossy codec), which then
 * judges the pixels its own way.
 */
export function checkStamps(
  source: FrameSource,
  received: Uint8Array,
  index: number,
): FrameError | undefined {
  const { frameBytes } = source.geometry;
  if (received.byteLength !== frameBytes) {
    return {
      kind: "size",
      index,
      message: `frame ${index}: ${received.byteLength} bytes, expected ${frameBytes}`,
    };
  }
  const { head, tail } = readStamps(received);
  if (head !== tail) {
    return {
      kind: "torn",
      index,
      message: `frame ${index}: torn, starts as frame ${head} and ends as frame ${tail}`,
    };
  }
  if (head !== index) {
    return {
      kind: head < index ? "stale" : "wrong-index",
      index,
      message: `frame ${index}: got frame ${head} instead (${
        head < index ? "stale" : "wrong index"
      })`,
    };
  }
  return undefined;
}

/** Above this many runs of equal rows per frame, a frame is compared whole. */
const MAX_RUNS = 64;

/** Per source, per pool frame: see {@linkcode rowRuns}. */
const analysed = new WeakMap<FrameSource, (number[] | null | undefined)[]>();

/**
 * The rows where a run of equal rows starts in pool frame `p` of `source`,
 * then the height; null when the frame has too many runs for that to help.
 * Computed once per pool frame. The test pattern has two runs per frame (the
 * bars, the ramp): a received frame is then proved equal to the pool frame by
 * comparing each run's first row with the pool's, and the rest of the run
 * with itself shifted by one row (the previous row is still in cache). That
 * reads the frame once and the pool only a row per run.
 */
function rowRuns(source: FrameSource, p: number): number[] | null {
  let cache = analysed.get(source);
  if (!cache) analysed.set(source, cache = new Array(source.poolSize));
  const cached = cache[p];
  if (cached !== undefined) return cached;
  const { width, height, frameBytes, format } = source.geometry;
  const rowBytes = width * 3;
  if (format !== "rgb24" || rowBytes * height !== frameBytes || rowBytes < STAMP_BYTES) {
    return cache[p] = null;
  }
  // The pool frame's bytes, read only: its stamps (which a sender may be
  // rewriting) are left out of every comparison below.
  const body = source.body(p);
  const frame = new Uint8Array(body.buffer, body.byteOffset - STAMP_BYTES, frameBytes);
  const starts = [0];
  for (let row = 1; row < height; row++) {
    const from = row === 1 ? STAMP_BYTES : 0; // row 0 starts with the start stamp
    const to = row === height - 1 ? rowBytes - STAMP_BYTES : rowBytes; // the last row ends with one
    const a = frame.subarray((row - 1) * rowBytes + from, (row - 1) * rowBytes + to);
    const b = frame.subarray(row * rowBytes + from, row * rowBytes + to);
    if (Buffer.compare(a, b) !== 0) {
      starts.push(row);
      if (starts.length > MAX_RUNS) return cache[p] = null;
    }
  }
  starts.push(height);
  return cache[p] = starts;
}

/** Whether the bytes of `received` between its stamps are those of frame `index`. */
function bodyMatches(source: FrameSource, received: Uint8Array, index: number): boolean {
  const { frameBytes } = source.geometry;
  const expected = source.body(index);
  const body = received.subarray(STAMP_BYTES, frameBytes - STAMP_BYTES);
  const runs = rowRuns(source, index % source.poolSize);
  if (!runs) return Buffer.compare(body, expected) === 0;
  const r = frameBytes / source.geometry.height;
  // Offsets below are in `body`, i.e. frame offsets minus STAMP_BYTES.
  const equal = (from: number, to: number) =>
    Buffer.compare(body.subarray(from, to), expected.subarray(from, to)) === 0;
  // Bytes [from, to) equal the bytes one row earlier.
  const sameAsRowAbove = (from: number, to: number) =>
    Buffer.compare(body.subarray(from, to), body.subarray(from - r, to - r)) === 0;
  for (let k = 0; k + 1 < runs.length; k++) {
    const first = runs[k];
    const end = runs[k + 1];
    // The run's first row against the pool; for the frame's first run rows 0
    // and 1, so that the shifted comparison never reads the start stamp.
    const checked = first === 0 && end > 1 ? 2 : first + 1;
    const from = Math.max(0, first * r - STAMP_BYTES);
    if (!equal(from, Math.min(checked * r - STAMP_BYTES, body.byteLength))) return false;
    // The rest of the run, each row against the one above it; `body` leaves
    // out the end stamp in the last row.
    const restFrom = checked * r - STAMP_BYTES;
    const restTo = Math.min(end * r - STAMP_BYTES, body.byteLength);
    if (restFrom < restTo && !sameAsRowAbove(restFrom, restTo)) return false;
  }
  return true;
}
