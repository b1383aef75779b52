/**
 * The server's read of a posted frame: every byte, in place in the shared
 * slot, through zlib's CRC-32, which proves to the client what was read; and
 * the frame's index stamps (the frame index as a u64, little-endian, in its
 * first and last 8 bytes), which must both equal the index in the slot's
 * control block. The pixels may be anything (a camera's, a decoder's): they
 * are compared with framebench's test pattern only when the server is asked
 * to (`--expect-source`).
 *
 * @module
 */

import { crc32 } from "node:zlib";
import type { FrameSource } from "../common/source.ts";
import { readStamps } from "../common/source.ts";
import { checkFrame, type FrameErrorKind } from "../common/verify.ts";
import { Verdict } from "./layout.ts";

/** What the server found in a frame. */
export interface FrameRead {
  /** {@linkcode Verdict.ok}, or why the frame is refused. */
  verdict: number;
  /** CRC-32 (zlib's) of every byte of the frame as read, stamps included. */
  checksum: number;
  /** One line saying what is wrong, when the verdict is not ok. */
  problem?: string;
}

const VERDICT_OF: Record<FrameErrorKind, number> = {
  size: Verdict.size,
  torn: Verdict.torn,
  stale: Verdict.stale,
  "wrong-index": Verdict.wrongIndex,
  corrupt: Verdict.corrupt,
};

/**
 * Reads `frame` (a view of the slot: no copy) whose control block says it is
 * frame `index`: computes its CRC-32 and checks its stamps, and, given
 * `expect`, compares its bytes with that source's frame `index` too.
 */
export function readFrame(frame: Uint8Array, index: number, expect?: FrameSource): FrameRead {
  // THE read of the frame: zlib's CRC-32 (SIMD, ~0.2 ms for 1080p) streams
  // every byte of the slot where the client wrote it. `frame` views the
  // mapping itself and node:zlib's crc32 reads the view in place: nothing is
  // copied.
  const checksum = crc32(frame);
  const { head, tail } = readStamps(frame);
  if (head !== tail) {
    const problem = `frame ${index}: torn, starts as frame ${head} and ends as frame ${tail}`;
    return { verdict: Verdict.torn, checksum, problem };
  }
  if (head !== index) {
    const stale = head < index;
    return {
      verdict: stale ? Verdict.stale : Verdict.wrongIndex,
      checksum,
      problem: `frame ${index}: stamped as frame ${head} (${stale ? "stale" : "wrong index"})`,
    };
  }
  if (expect) {
    // Optional: a second read, against framebench's test pattern.
    const error = checkFrame(expect, frame, index);
    if (error) return { verdict: VERDICT_OF[error.kind], checksum, problem: error.message };
  }
  return { verdict: Verdict.ok, checksum };
}
