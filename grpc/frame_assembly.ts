/**
 * Where a client puts a chunked reply back together (`--chunk-bytes`): each
 * chunk is checked to come in order and to cover the frame exactly, then
 * copied into place.
 *
 * @module
 */

import { FrameSequence } from "./frame_message.ts";
import type { FrameMessage } from "./service.ts";

/** One frame's worth of bytes, filled chunk by chunk, reused for every frame. */
export class FrameAssembly {
  /** The frame, whole once {@linkcode FrameAssembly.add} returned true. */
  readonly frame: Uint8Array;
  readonly #sequence = new FrameSequence();
  readonly #from: string;

  /** A frame of `frameBytes`, from the server at `from` (for messages). */
  constructor(frameBytes: number, from: string) {
    this.frame = new Uint8Array(frameBytes);
    this.#from = from;
  }

  /**
   * Copies `chunk` into the frame (the copy of chunked mode); returns true
   * once the frame is whole. Throws when the chunk is out of place or says
   * its frame has another size.
   */
  add(chunk: FrameMessage): boolean {
    if (chunk.frameBytes !== this.frame.byteLength) {
      throw new Error(
        `a reply chunk says its frame is ${chunk.frameBytes} bytes, not ${this.frame.byteLength}`,
      );
    }
    const problem = this.#sequence.accept(chunk);
    if (problem) throw new Error(`bad reply from ${this.#from}: ${problem}`);
    this.frame.set(chunk.pixels, chunk.offset);
    return this.#sequence.frameDone;
  }
}
