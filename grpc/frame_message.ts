/**
 * Frame messages: making them from a frame (whole or in chunks), checking the
 * ones a server receives, and putting a chunked frame back together.
 *
 * @module
 */

import {
  BYTES_PER_PIXEL,
  FORMAT_CODES,
  formatFromCode,
  type FrameGeometry,
} from "../common/frame.ts";
import type { FrameMessage } from "./service.ts";

/**
 * The most bytes a `Frame` message takes besides its pixels: eight field tags,
 * five varints of at most 5 bytes, the index (at most 10), the timestamp (8)
 * and the pixels' length (at most 5). Message size limits are the frame size
 * plus this.
 */
export const MESSAGE_OVERHEAD_BYTES = 64;

/**
 * The messages that carry frame `index`: one whole-frame message, or, with
 * `chunkBytes`, one message per `chunkBytes` of pixels. No copy: each
 * message's pixels are a view of `frame`.
 */
export function frameMessages(
  frame: Uint8Array,
  index: number,
  geometry: FrameGeometry,
  chunkBytes?: number,
): FrameMessage[] {
  const base = {
    width: geometry.width,
    height: geometry.height,
    format: FORMAT_CODES[geometry.format],
    index,
    timestamp: performance.timeOrigin + performance.now(),
  };
  if (chunkBytes === undefined || chunkBytes >= frame.byteLength) {
    return [{ ...base, pixels: frame, offset: 0, frameBytes: 0 }];
  }
  const messages: FrameMessage[] = [];
  for (let offset = 0; offset < frame.byteLength; offset += chunkBytes) {
    messages.push({
      ...base,
      pixels: frame.subarray(offset, offset + chunkBytes),
      offset,
      frameBytes: frame.byteLength,
    });
  }
  return messages;
}

/** The bytes of a frame of the message's width, height and format, or an error line. */
function expectedBytes(m: FrameMessage): number | string {
  const format = formatFromCode(m.format);
  if (format === undefined) return `unknown pixel format ${m.format}`;
  if (!(m.width > 0 && m.height > 0)) return `frame of ${m.width}x${m.height} pixels`;
  return m.width * m.height * BYTES_PER_PIXEL[format];
}

/**
 * Returns why `m` carries more than `maxBytes` pixel bytes (the server's
 * `--max-bytes`), or undefined when it does not. grpc-js's own limit is on
 * the whole message (`maxBytes` + {@linkcode MESSAGE_OVERHEAD_BYTES}), which
 * lets a message with few other fields carry a few dozen pixel bytes more:
 * this check makes the limit exact.
 */
export function checkPixelLimit(m: FrameMessage, maxBytes: number): string | undefined {
  const size = m.pixels.byteLength;
  return size > maxBytes
    ? `pixels are ${size} bytes, over the server's --max-bytes of ${maxBytes}`
    : undefined;
}

/** Returns why `m` is not a valid whole frame, or undefined when it is. */
export function checkWholeFrame(m: FrameMessage): string | undefined {
  const expected = expectedBytes(m);
  if (typeof expected === "string") return expected;
  if (m.offset !== 0 || m.frameBytes !== 0) {
    return `a chunk (offset ${m.offset} of ${m.frameBytes} bytes) where a whole frame was expected`;
  }
  const size = m.pixels.byteLength;
  return size === expected ? undefined : `pixels are ${size} bytes, the frame needs ${expected}`;
}

/**
 * Follows the messages of one stream, whole frames or chunks, and says when
 * one is out of place: the server checks every message with it, the client
 * puts chunked frames back together with it.
 */
export class FrameSequence {
  #index = 0;
  #next = 0; // offset the next chunk of the current frame must have; 0 between frames
  #frameBytes = 0;

  /** True when the last message accepted completed a frame. */
  get frameDone(): boolean {
    return this.#next === 0;
  }

  /**
   * Accepts `m` as the next message of the stream, or returns why it cannot
   * be: a whole frame in the middle of a chunked one, a chunk out of order, a
   * chunk of another frame, pixels that do not match the geometry.
   */
  accept(m: FrameMessage): string | undefined {
    if (m.frameBytes === 0 && m.offset === 0) {
      if (this.#next !== 0) {
        return `a whole frame ${m.index} in the middle of chunked frame ${this.#index}`;
      }
      return checkWholeFrame(m);
    }
    const expected = expectedBytes(m);
    if (typeof expected === "string") return expected;
    if (m.frameBytes !== expected) {
      return `chunk says the frame is ${m.frameBytes} bytes, its geometry needs ${expected}`;
    }
    if (this.#next === 0) {
      if (m.offset !== 0) return `frame ${m.index} starts with a chunk at offset ${m.offset}`;
      this.#index = m.index;
      this.#frameBytes = m.frameBytes;
    } else if (m.index !== this.#index || m.frameBytes !== this.#frameBytes) {
      return `a chunk of frame ${m.index} in the middle of frame ${this.#index}`;
    } else if (m.offset !== this.#next) {
      return `chunk of frame ${m.index} at offset ${m.offset}, expected ${this.#next}`;
    }
    const end = m.offset + m.pixels.byteLength;
    if (m.pixels.byteLength === 0 || end > m.frameBytes) {
      return `chunk of ${m.pixels.byteLength} bytes at offset ${m.offset} of a ${m.frameBytes}-byte frame`;
    }
    this.#next = end === m.frameBytes ? 0 : end;
    return undefined;
  }
}
