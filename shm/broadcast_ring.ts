/**
 * The protocol of the broadcast ring (broadcast_layout.ts): one writer, any
 * number of readers, each reading frames in place. Posts are numbered
 * p = 0, 1, 2, ...; post p goes in slot p % slots; the u32 words hold
 * numbers mod 2^32 (compared wrap-aware), each side keeps the full count.
 *
 * Writer, post p into slot s:
 * 1. under `block`, wait until every subscriber's `released` is past
 *    p - slots (nobody still reads the post that slot s holds); under `drop`
 *    at `--fps max`, wait until one subscriber's `taken` reached p (someone
 *    took the previous frame); otherwise do not wait;
 * 2. `seq[s] = 2p + 1` (odd: being written);
 * 3. write the pixels and the slot's properties (index, publish time, geometry);
 * 4. `seq[s] = 2p + 2`, then `published = p + 1`, then wake `published`.
 *
 * Reader, next frame (its next post q = `taken`):
 * 1. when `published - q` is 0, wait on `published` (futex, in slices that
 *    check that the publisher's pid still runs); when it is more than
 *    `slots`, the writer has lapped the reader: q = published - 1, the newest
 *    frame (within the ring, frames are read in order);
 * 2. read `seq[s]`: unless it is `2q + 2`, the post was overwritten: skip it;
 * 3. read the properties, then `seq[s]` again (unchanged, or skip);
 * 4. `released = q`, `taken = q + 1`; read the pixels in place (no copy);
 * 5. read `seq[s]` again: changed means the writer overwrote the frame while
 *    it was read (only under `drop`): the frame is dropped, not an error;
 *    `released = q + 1`, add 1 to the `released` futex and wake it.
 *
 * A subscriber joining starts at the next post (the newest complete frame
 * + 1): it takes a free place (`claim` 0 -> pid by compare-and-swap), writes
 * `taken = released = published`, then `pid`. Leaving, it sets `pid` then
 * `claim` back to 0. The publisher frees the place of a subscriber whose pid
 * no longer runs (`kill(pid, 0)`).
 *
 * @module
 */

import { sharedClockMs } from "../common/clock.ts";
import { FORMAT_CODES } from "../common/frame.ts";
import type { FrameProperties } from "../common/properties.ts";
import {
  BROADCAST,
  type BroadcastLayout,
  CURSOR,
  cursorOffset,
  MAX_SUBSCRIBERS,
  SLOT,
  slotControl,
  StreamState,
} from "./broadcast_layout.ts";
import { counterDiff } from "./ring.ts";
import { SlotRing } from "./slot_ring.ts";

const U32 = 2 ** 32;

/** A subscriber's place in the cursor table, as the publisher reads it. */
export interface Place {
  /** Its index in the table. */
  place: number;
  /** The subscriber's pid. */
  pid: number;
  /** Posts it took (mod 2^32). */
  taken: number;
  /** Posts it is done with (mod 2^32). */
  released: number;
}

/** The sequence word of a complete post `p`. */
export function completeSeq(p: number): number {
  return (2 * (p % U32) + 2) % U32;
}

/** A broadcast ring over a mapped segment, with the words both sides use. */
export class BroadcastRing extends SlotRing<BroadcastLayout> {
  /** Slot of post `p`. */
  slotOf(p: number): number {
    return p % this.layout.slotCount;
  }

  /** The stream's state word. */
  get state(): number {
    return this.load(BROADCAST.state);
  }

  /** Posts complete, mod 2^32. */
  get published32(): number {
    return this.load(BROADCAST.published);
  }

  // ---- writer ----

  /** Writer, step 2: marks post `p`'s slot as being written. */
  beginPost(p: number): Uint8Array {
    const s = this.slotOf(p);
    this.store(slotControl(s) + SLOT.seq, completeSeq(p) - 1);
    return this.slot(s);
  }

  /** Writer, step 4: the slot's properties, then the sequence word, then `published`. */
  completePost(p: number, properties: FrameProperties): void {
    const s = this.slotOf(p);
    const at = slotControl(s);
    const h = this.header;
    h.setUint32(at + SLOT.format, FORMAT_CODES[properties.format], true);
    h.setBigUint64(at + SLOT.index, BigInt(properties.index), true);
    h.setFloat64(at + SLOT.sentAt, properties.sentAt, true);
    h.setUint32(at + SLOT.width, properties.width, true);
    h.setUint32(at + SLOT.height, properties.height, true);
    this.store(at + SLOT.seq, completeSeq(p));
    this.store(BROADCAST.published, (p + 1) % U32);
    this.segment.wake(BROADCAST.published);
  }

  /** Ends the stream: the number of frames published, then the state, then a wake-up. */
  end(published: number): void {
    this.header.setBigUint64(BROADCAST.endCount, BigInt(published), true);
    this.store(BROADCAST.state, StreamState.ended);
    this.segment.wake(BROADCAST.published);
  }

  /** Frames published in all, once the state is `ended`. */
  get endCount(): number {
    return Number(this.header.getBigUint64(BROADCAST.endCount, true));
  }

  /** The places whose subscriber is ready (pid set), with their pid. */
  subscribers(): Place[] {
    const found: Place[] = [];
    for (let i = 0; i < MAX_SUBSCRIBERS; i++) {
      const at = cursorOffset(i);
      const pid = this.load(at + CURSOR.pid);
      if (pid === 0) continue;
      found.push({
        place: i,
        pid,
        taken: this.load(at + CURSOR.taken),
        released: this.load(at + CURSOR.released),
      });
    }
    return found;
  }

  /** Frees place `i` (its subscriber left, or died). */
  free(i: number): void {
    const at = cursorOffset(i);
    this.store(at + CURSOR.pid, 0);
    this.store(at + CURSOR.claim, 0);
    this.bump(BROADCAST.released);
  }

  // ---- reader ----

  /**
   * Takes a free place for subscriber `pid`, starting at post `from` (mod
   * 2^32); undefined when all {@linkcode MAX_SUBSCRIBERS} are taken.
   */
  claim(pid: number, from: number): number | undefined {
    for (let i = 0; i < MAX_SUBSCRIBERS; i++) {
      const at = cursorOffset(i);
      if (!this.swap(at + CURSOR.claim, 0, pid)) continue;
      this.store(at + CURSOR.taken, from);
      this.store(at + CURSOR.released, from);
      this.store(at + CURSOR.pid, pid);
      return i;
    }
    return undefined;
  }

  /** Reader: notes that place `i` took post `q` (and is done with all before it). */
  take(i: number, q: number): void {
    const at = cursorOffset(i);
    this.store(at + CURSOR.released, q % U32);
    this.store(at + CURSOR.taken, (q + 1) % U32);
    this.header.setFloat64(at + CURSOR.heartbeat, sharedClockMs(), true);
  }

  /** Reader: notes that place `i` is done with post `q`, and wakes a waiting publisher. */
  release(i: number, q: number): void {
    this.store(cursorOffset(i) + CURSOR.released, (q + 1) % U32);
    this.bump(BROADCAST.released);
  }

  /** The sequence word of slot `s`. */
  seq(s: number): number {
    return this.load(slotControl(s) + SLOT.seq);
  }

  /** The properties in slot `s`'s control block. */
  properties(s: number): FrameProperties {
    const at = slotControl(s);
    const h = this.header;
    return {
      index: Number(h.getBigUint64(at + SLOT.index, true)),
      sentAt: h.getFloat64(at + SLOT.sentAt, true),
      width: h.getUint32(at + SLOT.width, true),
      height: h.getUint32(at + SLOT.height, true),
      format: this.layout.geometry.format,
      slot: s,
    };
  }
}

/** `a - b` for a full count `b` and a u32 `a` (mod 2^32), as a signed number. */
export function ahead(a32: number, b: number): number {
  return counterDiff(a32, b % U32);
}
