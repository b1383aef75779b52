/**
 * HTTP/2 header blocks on the wire: cut into a HEADERS frame and
 * CONTINUATION frames to send, and gathered back (padding and priority
 * removed, CONTINUATION frames joined) when one arrives. The HPACK coding of
 * the block itself is ./hpack.ts's.
 *
 * @module
 */

import {
  ErrorCode,
  Flag,
  frame,
  FRAME_HEADER_BYTES,
  FrameType,
  parseFrameHeader,
} from "./http2_frames.ts";
import { ConnectionError } from "./http2_stream.ts";
import type { SocketReader } from "./socket_reader.ts";

/** Our SETTINGS_MAX_HEADER_LIST_SIZE, and the most header block bytes we gather. */
export const MAX_HEADER_BLOCK_BYTES = 64 * 1024;

/** The frames of `block` on `streamId`: HEADERS, then CONTINUATION, each at most `maxFrameSize`. */
export function headerFrames(
  block: Uint8Array,
  streamId: number,
  maxFrameSize: number,
  endStream: boolean,
): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let at = 0; at === 0 || at < block.length; at += maxFrameSize) {
    const part = block.subarray(at, at + maxFrameSize);
    const last = at + maxFrameSize >= block.length;
    const type = at === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
    const flags = (last ? Flag.END_HEADERS : 0) | (at === 0 && endStream ? Flag.END_STREAM : 0);
    frames.push(frame(type, flags, streamId, part));
  }
  return frames;
}

/**
 * The whole header block that a HEADERS frame (`flags`, `payload`) on
 * `streamId` starts, reading its CONTINUATION frames from `reader`; and the
 * flags, END_HEADERS set. Throws {@linkcode ConnectionError} for bad padding,
 * another frame in between, or a block over {@linkcode MAX_HEADER_BLOCK_BYTES}.
 */
export async function readHeaderBlock(
  reader: SocketReader,
  flags: number,
  streamId: number,
  payload: Uint8Array,
): Promise<{ block: Uint8Array; flags: number }> {
  let start = 0;
  let end = payload.length;
  if (flags & Flag.PADDED) {
    const padding = payload[0];
    start = 1;
    end -= padding;
  }
  if (flags & Flag.PRIORITY) start += 5;
  if (start > end) {
    throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "HEADERS padding too long");
  }
  let block = payload.slice(start, end); // copied out of the staging buffer
  // CONTINUATION frames until END_HEADERS, with nothing in between.
  while (!(flags & Flag.END_HEADERS)) {
    await reader.fill(FRAME_HEADER_BYTES);
    const next = parseFrameHeader(reader.take(FRAME_HEADER_BYTES));
    if (next.type !== FrameType.CONTINUATION || next.streamId !== streamId) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "a header block cut by another frame");
    }
    if (block.length + next.length > MAX_HEADER_BLOCK_BYTES || next.length > reader.capacity) {
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "a header block over 64 KiB");
    }
    await reader.fill(next.length);
    const more = reader.take(next.length);
    const joined = new Uint8Array(block.length + more.length);
    joined.set(block);
    joined.set(more, block.length);
    block = joined;
    flags = (flags & ~Flag.END_HEADERS) | (next.flags & Flag.END_HEADERS);
  }
  return { block, flags };
}
