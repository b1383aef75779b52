/**
 * The byte layout of framebench's shared-memory segments, documented for other
 * languages in README.md (this file and the README must agree). Three kinds of
 * segment share one 16-byte preamble:
 *
 * - the **doorway** `/NAME`, one page made by the server, where a client asks
 *   for its ring to be served;
 * - a **ring** `/NAME.PID`, made by the client with that pid: a header page
 *   (geometry, futex words, one control block per slot) followed by the slots,
 *   each holding one frame, page-aligned;
 * - the stream mode's **broadcast ring** (broadcast_layout.ts), laid out as a
 *   ring is (a header page, then the slots) with a layout version of its own.
 *
 * Every field is little-endian. Words that the other process watches are
 * written last and read first (see ring.ts for the protocol).
 *
 * @module
 */

import {
  BYTES_PER_PIXEL,
  FORMAT_CODES,
  formatFromCode,
  type FrameGeometry,
  frameGeometry,
} from "../common/frame.ts";

/** "FBSM" read as a little-endian u32: the first 4 bytes of every segment. */
export const SEGMENT_MAGIC = 0x4d534246;
/**
 * The layout version; any change of an offset or meaning bumps it. Version 2
 * added the slot's `checksum` (the server's CRC-32 of the frame it read).
 */
export const LAYOUT_VERSION = 2;
/** Bytes of a page: the header size and the slot alignment. */
export const PAGE_BYTES = 4096;
/** Most slots a ring may have (their control blocks fill the header page). */
export const MAX_SLOTS = 32;

/** What a segment is: the echo's doorway and ring, the stream's broadcast ring. */
export const SegmentKind = { doorway: 1, ring: 2, stream: 3 } as const;

/** The preamble of every segment. */
export const PREAMBLE = {
  /** u32: {@linkcode SEGMENT_MAGIC}. */
  magic: 0,
  /** u16: the layout version of the segment's kind ({@linkcode LAYOUT_VERSION} for the echo's). */
  version: 4,
  /** u16: {@linkcode SegmentKind}. */
  kind: 6,
  /** u32: bytes of the header, i.e. offset of slot 0 (4096). */
  headerBytes: 8,
  /** u32: pid of the process that made the segment and removes it. */
  ownerPid: 12,
} as const;

/** Offsets in the doorway. */
export const DOORWAY = {
  /** u32: 0 while the server sets it up, 1 open, 2 closed (the server is stopping). */
  state: 16,
  /** u32 futex word: requests made; a client adds 1 after writing its request. */
  request: 64,
  /** u32: pid of the requesting client (its ring is `/NAME.PID`). */
  requestPid: 68,
  /** u32 futex word: the server sets it to the request number it answered. */
  reply: 128,
  /** u32: 0 accepted (the ring is served), 1 refused. */
  replyStatus: 132,
  /** u32: bytes of the reply message. */
  replyLength: 136,
  /** UTF-8 reply message (why a ring was refused), up to {@linkcode REPLY_TEXT_BYTES}. */
  replyText: 140,
} as const;

/** Room for the doorway's reply message. */
export const REPLY_TEXT_BYTES = 256;

/** Doorway states. */
export const DoorwayState = { settingUp: 0, open: 1, closed: 2 } as const;

/** Offsets in a ring's header. */
export const RING = {
  /** u32: the client's side, {@linkcode ClientState}. */
  clientState: 16,
  /** u32: pid of the server that serves the ring (0 until attached). */
  serverPid: 20,
  /** u32: the server's side, {@linkcode ServerState}. */
  serverState: 24,
  /** u32: how the server learns of a posted frame, {@linkcode Notify}. */
  notify: 28,
  /** u32: number of slots. */
  slotCount: 32,
  /** u32: pixel format code (1 = rgb24). */
  format: 36,
  /** u32: frame width in pixels. */
  width: 40,
  /** u32: frame height in pixels. */
  height: 44,
  /** u64: bytes of one frame (what a slot holds). */
  slotBytes: 48,
  /** u64: bytes from one slot to the next (a multiple of the page). */
  slotStride: 56,
  /** u32 futex word: frames posted by the client so far (mod 2^32). */
  posted: 64,
  /** u32 futex word: frames acknowledged by the server so far (mod 2^32). */
  acked: 128,
  /** Control block of slot 0; slot s's is at `slots + s * SLOT.bytes`. */
  slots: 192,
} as const;

/** Offsets in a slot's 64-byte control block. */
export const SLOT = {
  /** u32: {@linkcode SlotState}; written last by whoever changes the slot. */
  state: 0,
  /** u32: post number (mod 2^32) of the frame in the slot; post p uses slot p % slots. */
  seq: 4,
  /** u64: frame index (the client's numbering, as stamped in the frame). */
  index: 8,
  /** u64: bytes of the frame in the slot. */
  frameBytes: 16,
  /** f64: send time, ms since the Unix epoch. */
  sentAt: 24,
  /** u32: the server's verdict, {@linkcode Verdict}. */
  verdict: 32,
  /**
   * u32: the server's CRC-32 (zlib's) of the `frameBytes` bytes it read, stamps
   * included; written before the state word when the frame was read, 0 otherwise.
   */
  checksum: 36,
  /** Bytes of a control block. */
  bytes: 64,
} as const;

/** The state word of a slot. */
export const SlotState = {
  /** Never used. */
  empty: 0,
  /** The client is writing the frame: not for reading. */
  writing: 1,
  /** The frame is complete and posted: the server may read it. */
  posted: 2,
  /** The server read the frame and found it whole. */
  acked: 3,
  /** The server read the frame and refused it (see the verdict). */
  refused: 4,
} as const;

/** The client side of a ring. */
export const ClientState = { settingUp: 0, open: 1, closed: 2 } as const;
/** The server side of a ring. */
export const ServerState = { none: 0, attached: 1, left: 2 } as const;
/** How the server learns of a posted frame. */
export const Notify = { futex: 1, zmq: 2 } as const;

/** Why the server refused a frame (0 = accepted). */
export const Verdict = {
  ok: 0,
  /** The slot changed while the server read it. */
  torn: 1,
  /** The slot did not hold the post the server expected. */
  stale: 2,
  /** The frame's bytes differ from framebench's test pattern (server option `--expect-source`). */
  corrupt: 3,
  /** The frame has the wrong size. */
  size: 4,
  /** The frame carries another index than its control block says. */
  wrongIndex: 5,
} as const;

/** A one-line text for a verdict code. */
export function verdictText(code: number): string {
  const name = Object.entries(Verdict).find(([, v]) => v === code)?.[0];
  return name === undefined ? `unknown verdict ${code}` : name;
}

/** The shape of a segment of slots (the echo's ring, the stream's broadcast ring). */
export interface SlotLayout {
  /** Geometry of the frames in the slots. */
  geometry: FrameGeometry;
  /** Number of slots. */
  slotCount: number;
  /** Bytes from one slot to the next (a multiple of the page). */
  slotStride: number;
}

/** The shape of a ring, as its header describes it. */
export interface RingLayout extends SlotLayout {
  /** How the server learns of a posted frame. */
  notify: number;
}

/** Where a header keeps its slots' geometry (each kind of ring at its own offsets). */
export interface GeometryFields {
  /** u32: number of slots. */
  slotCount: number;
  /** u32: pixel format code. */
  format: number;
  /** u32: frame width in pixels. */
  width: number;
  /** u32: frame height in pixels. */
  height: number;
  /** u64: bytes of one frame (what a slot holds). */
  slotBytes: number;
  /** u64: bytes from one slot to the next. */
  slotStride: number;
}

/** A segment whose layout is not one this code reads: it is refused, never reused. */
export class LayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LayoutError";
  }
}

/** Rounds up to a whole number of pages. */
export function pageAlign(bytes: number): number {
  return Math.ceil(bytes / PAGE_BYTES) * PAGE_BYTES;
}

/** The layout of a ring of `slotCount` slots for frames of `geometry`. */
export function ringLayout(
  geometry: FrameGeometry,
  slotCount: number,
  notify: number = Notify.futex,
): RingLayout {
  if (!Number.isInteger(slotCount) || slotCount < 1 || slotCount > MAX_SLOTS) {
    throw new RangeError(`slots must be a whole number from 1 to ${MAX_SLOTS}, got ${slotCount}`);
  }
  return { geometry, slotCount, slotStride: pageAlign(geometry.frameBytes), notify };
}

/** Total bytes of a ring segment (the header page, then the slots). */
export function ringBytes(layout: SlotLayout): number {
  return PAGE_BYTES + layout.slotCount * layout.slotStride;
}

/** Offset of slot `s`'s frame in a ring segment. */
export function slotOffset(layout: SlotLayout, s: number): number {
  return PAGE_BYTES + s * layout.slotStride;
}

/** Offset of slot `s`'s control block. */
export function controlOffset(s: number): number {
  return RING.slots + s * SLOT.bytes;
}

/** A segment's header, viewed for its little-endian fields. */
export function headerView(segment: Uint8Array): DataView {
  return new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
}

/**
 * Writes the preamble of a segment of kind `kind` (all but the magic, which
 * {@linkcode sealPreamble} writes) in layout version `version`.
 */
export function writePreamble(
  segment: Uint8Array,
  kind: number,
  ownerPid: number,
  version: number = LAYOUT_VERSION,
): void {
  const v = headerView(segment);
  v.setUint16(PREAMBLE.version, version, true);
  v.setUint16(PREAMBLE.kind, kind, true);
  v.setUint32(PREAMBLE.headerBytes, PAGE_BYTES, true);
  v.setUint32(PREAMBLE.ownerPid, ownerPid, true);
}

/** Writes the magic last, once the rest of the header is in place. */
export function sealPreamble(segment: Uint8Array): void {
  Atomics.store(new Int32Array(segment.buffer, segment.byteOffset, 1), 0, SEGMENT_MAGIC);
}

/**
 * Whether a segment of a page or more still has no magic: its maker is
 * setting it up (the magic is written last), or died doing so.
 */
export function unsealed(segment: Uint8Array): boolean {
  return segment.byteLength >= PAGE_BYTES &&
    Atomics.load(new Int32Array(segment.buffer, segment.byteOffset, 1), 0) === 0;
}

/**
 * Reads and checks a segment's preamble; throws {@linkcode LayoutError} (with
 * `where`, a name a person can find) when it is not a framebench segment of
 * kind `kind` in layout version `version`. Returns the owner's pid.
 */
export function checkPreamble(
  segment: Uint8Array,
  kind: number,
  where: string,
  version: number = LAYOUT_VERSION,
): number {
  if (segment.byteLength < PAGE_BYTES) {
    throw new LayoutError(
      `${where} is ${segment.byteLength} bytes, too small for a framebench segment`,
    );
  }
  const v = headerView(segment);
  const magic = v.getUint32(PREAMBLE.magic, true);
  if (magic !== SEGMENT_MAGIC) {
    throw new LayoutError(
      `${where} is not a framebench segment (starts with 0x${
        magic.toString(16).padStart(8, "0")
      }, not the magic 0x${SEGMENT_MAGIC.toString(16)})`,
    );
  }
  // The kind first: each kind has its own version (a stream is at 1 while the echo is at 2).
  const found = v.getUint16(PREAMBLE.kind, true);
  if (found !== kind) {
    const name = (k: number) =>
      Object.entries(SegmentKind).find(([, n]) => n === k)?.[0] ?? `kind ${k}`;
    throw new LayoutError(`${where} is a ${name(found)} segment, expected a ${name(kind)}`);
  }
  const stored = v.getUint16(PREAMBLE.version, true);
  if (stored !== version) {
    throw new LayoutError(
      `${where} has layout version ${stored}, this framebench reads version ${version}`,
    );
  }
  const headerBytes = v.getUint32(PREAMBLE.headerBytes, true);
  if (headerBytes !== PAGE_BYTES) {
    throw new LayoutError(`${where} has a ${headerBytes}-byte header, expected ${PAGE_BYTES}`);
  }
  return v.getUint32(PREAMBLE.ownerPid, true);
}

/** Writes a ring's geometry at the offsets `at` of its header. */
export function writeGeometry(segment: Uint8Array, at: GeometryFields, layout: SlotLayout): void {
  const v = headerView(segment);
  const { geometry } = layout;
  v.setUint32(at.slotCount, layout.slotCount, true);
  v.setUint32(at.format, FORMAT_CODES[geometry.format], true);
  v.setUint32(at.width, geometry.width, true);
  v.setUint32(at.height, geometry.height, true);
  v.setBigUint64(at.slotBytes, BigInt(geometry.frameBytes), true);
  v.setBigUint64(at.slotStride, BigInt(layout.slotStride), true);
}

/**
 * Reads and checks a ring's geometry at the offsets `at` of its header,
 * against `maxSlots` and the segment's real size; throws
 * {@linkcode LayoutError} with one clear line when anything does not fit.
 */
export function readGeometry(
  segment: Uint8Array,
  at: GeometryFields,
  where: string,
  slots: { min: number; max: number },
): SlotLayout {
  const v = headerView(segment);
  const slotCount = v.getUint32(at.slotCount, true);
  if (slotCount < slots.min || slotCount > slots.max) {
    throw new LayoutError(
      `${where} has ${slotCount} slots, expected ${slots.min} to ${slots.max}`,
    );
  }
  const code = v.getUint32(at.format, true);
  const format = formatFromCode(code);
  if (format === undefined) throw new LayoutError(`${where} has unknown pixel format ${code}`);
  let geometry: FrameGeometry;
  try {
    geometry = frameGeometry(v.getUint32(at.width, true), v.getUint32(at.height, true), format);
  } catch (error) {
    throw new LayoutError(`${where}: ${(error as Error).message}`);
  }
  const slotBytes = Number(v.getBigUint64(at.slotBytes, true));
  if (slotBytes !== geometry.width * geometry.height * BYTES_PER_PIXEL[format]) {
    throw new LayoutError(
      `${where} has ${slotBytes}-byte slots, but ${geometry.width}x${geometry.height} ${format} frames are ${geometry.frameBytes} bytes`,
    );
  }
  const slotStride = Number(v.getBigUint64(at.slotStride, true));
  if (slotStride < slotBytes || slotStride % PAGE_BYTES !== 0) {
    throw new LayoutError(
      `${where} has a slot stride of ${slotStride} bytes for ${slotBytes}-byte slots`,
    );
  }
  const layout = { geometry, slotCount, slotStride };
  if (ringBytes(layout) > segment.byteLength) {
    throw new LayoutError(
      `${where} is ${segment.byteLength} bytes, its header says ${ringBytes(layout)}`,
    );
  }
  return layout;
}

/** Writes a ring's header (slot control blocks zeroed, magic last). */
export function writeRingHeader(segment: Uint8Array, layout: RingLayout, ownerPid: number): void {
  segment.fill(0, 0, PAGE_BYTES);
  writePreamble(segment, SegmentKind.ring, ownerPid);
  headerView(segment).setUint32(RING.notify, layout.notify, true);
  writeGeometry(segment, RING, layout);
  sealPreamble(segment);
}

/**
 * Reads and checks a ring's header against the segment's real size; throws
 * {@linkcode LayoutError} with one clear line when anything does not fit.
 */
export function readRingHeader(
  segment: Uint8Array,
  where: string,
): RingLayout & { ownerPid: number } {
  const ownerPid = checkPreamble(segment, SegmentKind.ring, where);
  const layout = readGeometry(segment, RING, where, { min: 1, max: MAX_SLOTS });
  const notify = headerView(segment).getUint32(RING.notify, true);
  if (notify !== Notify.futex && notify !== Notify.zmq) {
    throw new LayoutError(`${where} asks for unknown notification ${notify}`);
  }
  return { ...layout, notify, ownerPid };
}
