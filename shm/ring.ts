/**
 * A ring of frame slots in a shared segment, and the protocol of its state
 * words. The client (writer) posts frames, the server (reader) reads each in
 * place and acknowledges it. Posts are numbered p = 0, 1, 2, ... (mod 2^32);
 * post p uses slot p % slots.
 *
 * Writer, post p into slot s:
 * 1. `state[s] = writing`;
 * 2. copy the frame into the slot (the one copy of the frame in the whole
 *    round trip: from the client's source into shared memory);
 * 3. write `index`, `frameBytes`, `sentAt`, `verdict = 0`, `checksum = 0`,
 *    then `seq[s] = p`;
 * 4. `state[s] = posted` (release), then `posted = p + 1`, then wake `posted`.
 *
 * Reader, post p:
 * 1. wait until `posted - p > 0` (spin briefly, then futex on `posted`);
 * 2. read `state[s]` and `seq[s]` first: unless `posted` and `p`, the slot is
 *    stale (an older or newer post) or still being written: refused;
 * 3. read the frame in place (no copy): check its stamps and compute its
 *    CRC-32;
 * 4. read `state[s]` and `seq[s]` again: if either changed, the frame was
 *    overwritten while being read (torn), whatever its bytes looked like;
 * 5. write `verdict[s]` and `checksum[s]`, then `state[s] = acked | refused`,
 *    then `acked = p + 1`, then wake `acked`.
 *
 * The writer reuses slot s (post p + slots) only after post p's
 * acknowledgement was consumed, so a well-behaved pair never tears a frame;
 * the checks are there so that a misbehaving or dying peer is caught rather
 * than trusted, without relying on timing.
 *
 * @module
 */

import {
  ClientState,
  controlOffset,
  Notify,
  PREAMBLE,
  RING,
  type RingLayout,
  ServerState,
  SLOT,
  SlotState,
  Verdict,
} from "./layout.ts";
import { SlotRing } from "./slot_ring.ts";

/** Longest single futex wait: how soon a waiter notices a dead peer, a closed ring or a signal. */
export const WAIT_SLICE_MS = 100;

/** Options of a wait on a ring word. */
export interface WaitOptions {
  /** Give up (resolve false) after this many ms. Default: no limit. */
  timeoutMs?: number;
  /**
   * Called after each wait slice that ended without the awaited change; it
   * throws (or returns false) to end the wait, e.g. when the peer is gone.
   */
  idle?: () => boolean | void;
  /** Microseconds to spin on the word before sleeping in a futex. Default: {@linkcode Ring.spinMicros}. */
  spinMicros?: number;
}

/** What the reader found in a slot when it opened post p. */
export type OpenedPost =
  | { ok: true; index: number; frame: Uint8Array }
  | { ok: false; verdict: number; reason: string };

/** What the writer finds once post p was acknowledged. */
export interface Acknowledged {
  /** {@linkcode Verdict.ok} when the server accepted the frame. */
  verdict: number;
  /** The frame in its slot, viewed in place. */
  frame: Uint8Array;
  /** The frame index in the slot's control block. */
  index: number;
  /** The server's CRC-32 of the frame it read (meaningful when the verdict is ok). */
  checksum: number;
}

/** Difference a - b of two u32 counters, as a signed number (wrap-aware). */
export function counterDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** A ring over a mapped segment, for either side. */
export class Ring extends SlotRing<RingLayout> {
  /** Default spin before a futex wait, in microseconds (0 = sleep at once). */
  spinMicros = 20;

  /** Frames posted so far (mod 2^32). */
  get posted(): number {
    return this.load(RING.posted);
  }

  /** Frames acknowledged so far (mod 2^32). */
  get acked(): number {
    return this.load(RING.acked);
  }

  /** The client's side: {@linkcode ClientState}. */
  get clientState(): number {
    return this.load(RING.clientState);
  }
  set clientState(state: number) {
    this.store(RING.clientState, state);
    // A server waiting for a post also looks at the client state.
    this.segment.wake(RING.posted);
  }

  /** The server's side: {@linkcode ServerState}. */
  get serverState(): number {
    return this.load(RING.serverState);
  }
  set serverState(state: number) {
    this.store(RING.serverState, state);
    this.segment.wake(RING.acked);
  }

  /** Pid of the server serving the ring (0 before it attached). */
  get serverPid(): number {
    return this.load(RING.serverPid);
  }
  set serverPid(pid: number) {
    this.store(RING.serverPid, pid);
  }

  /** Pid of the client that made the ring. */
  get clientPid(): number {
    return this.header.getUint32(PREAMBLE.ownerPid, true);
  }

  /** The state word of slot `s`. */
  slotState(s: number): number {
    return this.load(controlOffset(s) + SLOT.state);
  }

  /** The sequence word of slot `s`. */
  slotSeq(s: number): number {
    return this.load(controlOffset(s) + SLOT.seq);
  }

  /**
   * Writer: posts `frame` (frame `index`) as post `p`. Wakes the server only
   * when `notify` is futex.
   */
  post(p: number, frame: Uint8Array, index: number, sentAt: number): void {
    const { slotCount, geometry } = this.layout;
    if (frame.byteLength !== geometry.frameBytes) {
      throw new RangeError(
        `frame of ${frame.byteLength} bytes for ${geometry.frameBytes}-byte slots`,
      );
    }
    const s = p % slotCount;
    const control = controlOffset(s);
    if (this.load(control + SLOT.state) === SlotState.posted) {
      throw new Error(`slot ${s} is still posted: post ${p} would overwrite a frame being read`);
    }
    this.store(control + SLOT.state, SlotState.writing);
    // THE copy of the frame: from the client's frame source into the shared slot.
    // The server reads it there and the client verifies it there; nothing else copies it.
    this.slot(s).set(frame);
    this.header.setBigUint64(control + SLOT.index, BigInt(index), true);
    this.header.setBigUint64(control + SLOT.frameBytes, BigInt(frame.byteLength), true);
    this.header.setFloat64(control + SLOT.sentAt, sentAt, true);
    this.store(control + SLOT.verdict, 0);
    this.store(control + SLOT.checksum, 0);
    this.store(control + SLOT.seq, p);
    this.store(control + SLOT.state, SlotState.posted);
    this.store(RING.posted, p + 1);
    if (this.layout.notify === Notify.futex) this.segment.wake(RING.posted);
  }

  /**
   * Writer: reads post `p`'s acknowledgement from its slot (call once `acked`
   * passed p). The returned frame is the slot itself, valid until post
   * `p + slots` is written.
   */
  acknowledged(p: number): Acknowledged {
    const s = p % this.layout.slotCount;
    const control = controlOffset(s);
    const state = this.load(control + SLOT.state);
    const seq = this.load(control + SLOT.seq);
    const index = Number(this.header.getBigUint64(control + SLOT.index, true));
    const frame = this.slot(s);
    const checksum = this.load(control + SLOT.checksum);
    let verdict: number = Verdict.stale;
    if (seq !== p >>> 0) verdict = Verdict.stale;
    else if (state === SlotState.acked) verdict = Verdict.ok;
    else if (state === SlotState.refused) {
      verdict = this.load(control + SLOT.verdict) || Verdict.corrupt;
    }
    return { verdict, frame, index, checksum };
  }

  /**
   * Reader: opens post `p` (call once `posted` passed p): checks the slot's
   * state and sequence first, then returns the frame in place.
   */
  open(p: number): OpenedPost {
    const s = p % this.layout.slotCount;
    const control = controlOffset(s);
    const state = this.load(control + SLOT.state);
    const seq = this.load(control + SLOT.seq);
    if (state !== SlotState.posted) {
      return {
        ok: false,
        verdict: state === SlotState.writing ? Verdict.torn : Verdict.stale,
        reason: `slot ${s} is ${slotStateName(state)}, not posted, for post ${p}`,
      };
    }
    if (seq !== p >>> 0) {
      return {
        ok: false,
        verdict: Verdict.stale,
        reason: `slot ${s} holds post ${seq}, expected ${p >>> 0}`,
      };
    }
    const frameBytes = Number(this.header.getBigUint64(control + SLOT.frameBytes, true));
    if (frameBytes !== this.layout.geometry.frameBytes) {
      return {
        ok: false,
        verdict: Verdict.size,
        reason: `slot ${s} says ${frameBytes} bytes, slots are ${this.layout.geometry.frameBytes}`,
      };
    }
    const index = Number(this.header.getBigUint64(control + SLOT.index, true));
    return { ok: true, index, frame: this.slot(s) };
  }

  /** Reader: true when post `p`'s slot is still posted with p, i.e. it did not change while read. */
  intact(p: number): boolean {
    const s = p % this.layout.slotCount;
    const control = controlOffset(s);
    return this.load(control + SLOT.state) === SlotState.posted &&
      this.load(control + SLOT.seq) === p >>> 0;
  }

  /**
   * Reader: acknowledges post `p` with `verdict` and `checksum` (the CRC-32
   * of the frame read, 0 when it was not read) and wakes the writer.
   */
  ack(p: number, verdict: number, checksum = 0): void {
    const s = p % this.layout.slotCount;
    const control = controlOffset(s);
    // Only a slot still holding post p is marked; a stale slot keeps its words.
    if (this.load(control + SLOT.seq) === p >>> 0) {
      this.store(control + SLOT.verdict, verdict);
      this.store(control + SLOT.checksum, checksum);
      this.store(
        control + SLOT.state,
        verdict === Verdict.ok ? SlotState.acked : SlotState.refused,
      );
    }
    this.store(RING.acked, p + 1);
    this.segment.wake(RING.acked);
  }

  /** Waits until `posted` passed `p`; false on timeout. */
  waitPosted(p: number, options: WaitOptions = {}): Promise<boolean> {
    return this.#waitPast(RING.posted, p, options);
  }

  /** Waits until `acked` passed `p`; false on timeout. */
  waitAcked(p: number, options: WaitOptions = {}): Promise<boolean> {
    return this.#waitPast(RING.acked, p, options);
  }

  async #waitPast(offset: number, p: number, options: WaitOptions): Promise<boolean> {
    const passed = () => counterDiff(this.load(offset), p) > 0;
    if (passed()) return true;
    // Spin first: a futex sleep and wake-up through Deno's blocking pool costs
    // tens of microseconds, more than the other side usually needs.
    const spin = options.spinMicros ?? this.spinMicros;
    if (spin > 0) {
      const until = performance.now() + spin / 1000;
      do {
        for (let i = 0; i < 64; i++) if (passed()) return true;
      } while (performance.now() < until);
    }
    const end = options.timeoutMs === undefined ? Infinity : performance.now() + options.timeoutMs;
    for (;;) {
      const word = this.load(offset);
      if (counterDiff(word, p) > 0) return true;
      const left = end - performance.now();
      if (left <= 0) return false;
      await this.segment.wait(offset, word, Math.min(left, WAIT_SLICE_MS));
      if (passed()) return true;
      if (options.idle?.() === false) return false;
    }
  }
}

/** The name of a slot state, for messages. */
export function slotStateName(state: number): string {
  return Object.entries(SlotState).find(([, v]) => v === state)?.[0] ?? `state ${state}`;
}

/**
 * True when the client side of `ring` has gone: closed, or its process ended.
 * The client holds the ring segment's exclusive lock for as long as it lives
 * (the system drops it when the process ends, even before it is reaped), so
 * the server taking the lock is proof that the client is gone, whatever
 * became of its pid.
 */
export function clientGone(ring: Ring): boolean {
  return ring.clientState === ClientState.closed || ring.segment.tryLock();
}

/** True when the server side of `ring` has gone: left, or its process is dead. */
export function serverGone(ring: Ring, alive: (pid: number) => boolean): boolean {
  return ring.serverState === ServerState.left ||
    (ring.serverPid !== 0 && !alive(ring.serverPid));
}
