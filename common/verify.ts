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
 * Every byte is compared (a native memcmp through `Buffer.compare`, about
 * 0.1 ms for a 1080p frame), so this also serves as the consumer reading the
 * whole frame.
 */
export function checkFrame(
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
  const body = received.subarray(STAMP_BYTES, frameBytes - STAMP_BYTES);
  const expected = source.body(index);
  if (Buffer.compare(body, expected) !== 0) {
    let at = 0;
    while (body[at] === expected[at]) at++;
    return {
      kind: "corrupt",
      index,
      message: `frame ${index}: bytes differ from offset ${at + STAMP_BYTES} (of ${frameBytes})`,
    };
  }
  return undefined;
}
