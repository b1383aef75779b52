/**
 * The byte layout of the stream mode's segment, the **broadcast ring**
 * `/NAME` (`shm://NAME`): one publisher writes frames into its slots, any
 * number of subscribers (up to {@linkcode MAX_SUBSCRIBERS}) read them in
 * place. Documented for other languages in README.md ("Stream mode"; this
 * file and the README must agree). Every field is little-endian.
 *
 * | offset | type | field                                                        |
 * |-------:|------|--------------------------------------------------------------|
 * |      0 | u32  | magic `0x4d534246` ("FBSM"), written last                    |
 * |      4 | u16  | version {@linkcode BROADCAST_VERSION}                        |
 * |      6 | u16  | kind 3 (broadcast ring)                                      |
 * |      8 | u32  | header bytes: offset of slot 0's pixels (4096)               |
 * |     12 | u32  | pid of the publisher (it made the segment and removes it)    |
 * |     16 | u32  | state: 1 publishing, 2 ended                                 |
 * |     20 | u32  | slot count                                                   |
 * |     24 | u32  | pixel format code (1 = rgb24)                                |
 * |     28 | u32  | width                                                        |
 * |     32 | u32  | height                                                       |
 * |     36 | u32  | overflow: 1 block, 2 drop                                    |
 * |     40 | u64  | bytes of one frame                                           |
 * |     48 | u64  | slot stride (a multiple of 4096)                             |
 * |     56 | u32  | subscriber places ({@linkcode MAX_SUBSCRIBERS})              |
 * |     64 | u32  | futex `published`: posts complete (mod 2^32)                 |
 * |     72 | u64  | frames published in all, once the state is 2 (ended)        |
 * |    128 | u32  | futex `released`: bumped by a subscriber that moved on       |
 * |    256 | 32 B | subscriber place i at 256 + 32 i (see {@linkcode CURSOR})    |
 * |   1024 | 64 B | control block of slot s at 1024 + 64 s (see {@linkcode SLOT})|
 * |   4096 |      | slot s's pixels at 4096 + s * stride                         |
 *
 * @module
 */

import type { FrameGeometry } from "../common/frame.ts";
import {
  checkPreamble,
  type GeometryFields,
  headerView,
  LayoutError,
  PAGE_BYTES,
  pageAlign,
  PREAMBLE,
  readGeometry,
  sealPreamble,
  SegmentKind,
  type SlotLayout,
  writeGeometry,
  writePreamble,
} from "./layout.ts";

/** The broadcast ring's own layout version (its preamble is that of every framebench segment). */
export const BROADCAST_VERSION = 1;
/** Most subscribers at once: the places of the cursor table. */
export const MAX_SUBSCRIBERS = 16;
/** Most slots (their control blocks fill the header page from offset 1024). */
export const MAX_BROADCAST_SLOTS = 48;

/** Offsets in the header: the preamble (layout.ts), then the stream's own. */
export const BROADCAST = {
  ...PREAMBLE,
  /** u32: {@linkcode StreamState}. */
  state: 16,
  /** u32: {@linkcode OverflowCode}. */
  overflow: 36,
  /** u32. */
  places: 56,
  /** u32 futex word: posts complete; post p is in slot p % slots. */
  published: 64,
  /** u64: frames published in all, valid once the state is `ended`. */
  endCount: 72,
  /** u32 futex word: a subscriber adds 1 after moving its `released` on (or leaving). */
  released: 128,
  /** Subscriber place 0. */
  cursors: 256,
  /** Control block of slot 0. */
  slots: 1024,
} as const;

/** Where the header keeps the slots' geometry. */
const GEOMETRY: GeometryFields = {
  slotCount: 20,
  format: 24,
  width: 28,
  height: 32,
  slotBytes: 40,
  slotStride: 48,
};

/** Offsets in a subscriber's 32-byte place in the cursor table. */
export const CURSOR = {
  /**
   * u32: the subscriber's pid once it is ready (its `taken` and `released`
   * written), 0 when the place is free: the publisher counts and waits for
   * the places whose pid is set.
   */
  pid: 0,
  /** u32: posts the subscriber has taken, i.e. started to read or skipped (mod 2^32). */
  taken: 4,
  /** u32: posts the subscriber is done with (mod 2^32): their slots may be rewritten. */
  released: 8,
  /** u32: taken first, by compare-and-swap 0 -> pid; set back to 0 after `pid` when leaving. */
  claim: 12,
  /** f64: when it last moved on, in ms on the shared clock (CLOCK_MONOTONIC): for a person. */
  heartbeat: 16,
  /** Bytes of a place. */
  bytes: 32,
} as const;

/** Offsets in a slot's 64-byte control block. */
export const SLOT = {
  /**
   * u32 sequence word (a seqlock): `2p + 1` while post p is being written,
   * `2p + 2` once it is complete (mod 2^32). Read it before and after the
   * frame: unchanged and equal to `2p + 2` means the frame read was post p, whole.
   */
  seq: 0,
  /** u32: pixel format code. */
  format: 4,
  /** u64: the frame's index (as stamped in its first and last 8 bytes). */
  index: 8,
  /** f64: publish time, ms on the shared clock (CLOCK_MONOTONIC on Linux). */
  sentAt: 16,
  /** u32: width. */
  width: 24,
  /** u32: height. */
  height: 28,
  /** Bytes of a control block. */
  bytes: 64,
} as const;

/** The stream's state word. */
export const StreamState = { publishing: 1, ended: 2 } as const;
/** The overflow word. */
export const OverflowCode = { block: 1, drop: 2 } as const;

/** The shape of a broadcast ring. */
export type BroadcastLayout = SlotLayout;

/** The layout of a ring of `slotCount` slots for frames of `geometry`. */
export function broadcastLayout(geometry: FrameGeometry, slotCount: number): BroadcastLayout {
  if (!Number.isInteger(slotCount) || slotCount < 2 || slotCount > MAX_BROADCAST_SLOTS) {
    throw new RangeError(
      `--slots must be a whole number from 2 to ${MAX_BROADCAST_SLOTS}, got ${slotCount}`,
    );
  }
  return { geometry, slotCount, slotStride: pageAlign(geometry.frameBytes) };
}

/** Offset of slot `s`'s control block. */
export function slotControl(s: number): number {
  return BROADCAST.slots + s * SLOT.bytes;
}

/** Offset of subscriber place `i`. */
export function cursorOffset(i: number): number {
  return BROADCAST.cursors + i * CURSOR.bytes;
}

/** Writes the header of a new ring (zeroed first, the magic last, state `publishing`). */
export function writeBroadcastHeader(
  header: Uint8Array,
  layout: BroadcastLayout,
  overflow: number,
  ownerPid: number,
): void {
  header.fill(0, 0, PAGE_BYTES);
  writePreamble(header, SegmentKind.stream, ownerPid, BROADCAST_VERSION);
  const v = headerView(header);
  v.setUint32(BROADCAST.state, StreamState.publishing, true);
  v.setUint32(BROADCAST.overflow, overflow, true);
  v.setUint32(BROADCAST.places, MAX_SUBSCRIBERS, true);
  writeGeometry(header, GEOMETRY, layout);
  sealPreamble(header);
}

/**
 * Reads the owner's pid from a segment's preamble, checking that it is a
 * broadcast ring of this version; throws {@linkcode LayoutError} (naming
 * `where`) otherwise.
 */
export function broadcastOwner(header: Uint8Array, where: string): number {
  return checkPreamble(header, SegmentKind.stream, where, BROADCAST_VERSION);
}

/**
 * Reads and checks a ring's header against the segment's size; throws
 * {@linkcode LayoutError} with one line when anything does not fit.
 */
export function readBroadcastHeader(
  segment: Uint8Array,
  where: string,
): BroadcastLayout & { ownerPid: number } {
  const ownerPid = broadcastOwner(segment, where);
  const places = headerView(segment).getUint32(BROADCAST.places, true);
  if (places !== MAX_SUBSCRIBERS) throw new LayoutError(`${where} has ${places} places`);
  const layout = readGeometry(segment, GEOMETRY, where, { min: 2, max: MAX_BROADCAST_SLOTS });
  return { ...layout, ownerPid };
}
