/**
 * What the echo's ring (ring.ts) and the stream's broadcast ring
 * (broadcast_ring.ts) share: a segment laid out as a header page (the
 * preamble, futex words, one control block per slot) followed by the slots,
 * each viewed in place.
 *
 * @module
 */

import { PAGE_BYTES, type SlotLayout, slotOffset } from "./layout.ts";
import type { MappedSegment } from "./platform.ts";

/** A mapped segment of slots and the word operations both rings build their protocol on. */
export class SlotRing<L extends SlotLayout> {
  /** The ring's shape. */
  readonly layout: L;
  /** The segment the ring lives in. */
  readonly segment: MappedSegment;
  /** The header page, for its u64 and f64 fields. */
  protected readonly header: DataView;
  readonly #words: Int32Array;
  readonly #slots: Uint8Array[];

  constructor(segment: MappedSegment, layout: L) {
    this.segment = segment;
    this.layout = layout;
    this.#words = new Int32Array(segment.buffer, 0, PAGE_BYTES / 4);
    this.header = new DataView(segment.buffer, 0, PAGE_BYTES);
    // Views of the slots themselves: no copy.
    this.#slots = Array.from(
      { length: layout.slotCount },
      (_, s) => new Uint8Array(segment.buffer, slotOffset(layout, s), layout.geometry.frameBytes),
    );
  }

  /** The u32 at `offset` of the header. */
  load(offset: number): number {
    return Atomics.load(this.#words, offset >> 2) >>> 0;
  }

  /** Stores a u32 at `offset` of the header. */
  store(offset: number, value: number): void {
    Atomics.store(this.#words, offset >> 2, value | 0);
  }

  /** Compare-and-swap of the u32 at `offset`; true when it held `expected`. */
  swap(offset: number, expected: number, value: number): boolean {
    return Atomics.compareExchange(this.#words, offset >> 2, expected | 0, value | 0) ===
      (expected | 0);
  }

  /** Adds 1 to the u32 at `offset` and wakes its waiters. */
  bump(offset: number): void {
    Atomics.add(this.#words, offset >> 2, 1);
    this.segment.wake(offset);
  }

  /** Slot `s`'s frame bytes, viewed in place. */
  slot(s: number): Uint8Array {
    return this.#slots[s];
  }
}
