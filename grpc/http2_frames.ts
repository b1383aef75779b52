/**
 * HTTP/2 frames (RFC 9113 section 4 and 6): the frame header, the frame
 * types, flags, settings and error codes, and the small control frames
 * written whole. DATA and HEADERS payloads are written by
 * ./http2_connection.ts around these headers.
 *
 * @module
 */

/** The client connection preface (RFC 9113 section 3.4). */
export const PREFACE: Uint8Array = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Bytes of a frame header. */
export const FRAME_HEADER_BYTES = 9;

/** Frame types. */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags. */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** SETTINGS parameters. */
export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** Error codes of RST_STREAM and GOAWAY. */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

/** The name of an error code, for messages. */
export function errorCodeName(code: number): string {
  return Object.entries(ErrorCode).find(([, c]) => c === code)?.[0] ??
    `error 0x${code.toString(16)}`;
}

/** HTTP/2's defaults and bounds. */
export const DEFAULT_WINDOW = 65535;
/** The largest window (2^31 - 1). */
export const MAX_WINDOW = 0x7fffffff;
/** The frame size every peer takes (and the least SETTINGS_MAX_FRAME_SIZE). */
export const DEFAULT_MAX_FRAME_SIZE = 16384;
/** The largest SETTINGS_MAX_FRAME_SIZE (2^24 - 1). */
export const MAX_FRAME_SIZE_LIMIT = 0xffffff;

/** A parsed frame header. */
export interface FrameHeader {
  /** Payload bytes. */
  length: number;
  /** Frame type. */
  type: number;
  /** Flags. */
  flags: number;
  /** Stream identifier (the reserved bit cleared). */
  streamId: number;
}

/** Reads the frame header at the start of `bytes` (at least 9 bytes). */
export function parseFrameHeader(bytes: Uint8Array): FrameHeader {
  return {
    length: (bytes[0] << 16) | (bytes[1] << 8) | bytes[2],
    type: bytes[3],
    flags: bytes[4],
    streamId: ((bytes[5] & 0x7f) << 24 | (bytes[6] << 16) | (bytes[7] << 8) | bytes[8]) >>> 0,
  };
}

/** Writes a frame header into `out` at `at`. */
export function writeFrameHeader(
  out: Uint8Array,
  at: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  out[at] = length >>> 16;
  out[at + 1] = (length >>> 8) & 0xff;
  out[at + 2] = length & 0xff;
  out[at + 3] = type;
  out[at + 4] = flags;
  out[at + 5] = (streamId >>> 24) & 0x7f;
  out[at + 6] = (streamId >>> 16) & 0xff;
  out[at + 7] = (streamId >>> 8) & 0xff;
  out[at + 8] = streamId & 0xff;
}

/** A whole frame: the header and `payload`. */
export function frame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  writeFrameHeader(out, 0, payload.length, type, flags, streamId);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

/** A SETTINGS frame with `settings` (id to value), or its ACK when `ack`. */
export function settingsFrame(settings: ReadonlyMap<number, number>, ack = false): Uint8Array {
  if (ack) return frame(FrameType.SETTINGS, Flag.ACK, 0);
  const payload = new Uint8Array(settings.size * 6);
  const view = new DataView(payload.buffer);
  let at = 0;
  for (const [id, value] of settings) {
    view.setUint16(at, id);
    view.setUint32(at + 2, value);
    at += 6;
  }
  return frame(FrameType.SETTINGS, 0, 0, payload);
}

/** Reads a SETTINGS payload into id and value pairs; undefined when its length is not a multiple of 6. */
export function parseSettings(payload: Uint8Array): [number, number][] | undefined {
  if (payload.length % 6 !== 0) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const out: [number, number][] = [];
  for (let at = 0; at < payload.length; at += 6) {
    out.push([view.getUint16(at), view.getUint32(at + 2)]);
  }
  return out;
}

/** A WINDOW_UPDATE frame. */
export function windowUpdateFrame(streamId: number, increment: number): Uint8Array {
  return frame(FrameType.WINDOW_UPDATE, 0, streamId, u32(increment));
}

/** A RST_STREAM frame. */
export function rstStreamFrame(streamId: number, code: number): Uint8Array {
  return frame(FrameType.RST_STREAM, 0, streamId, u32(code));
}

/** A PING frame with 8 bytes of `data`, or its ACK. */
export function pingFrame(data: Uint8Array, ack = false): Uint8Array {
  return frame(FrameType.PING, ack ? Flag.ACK : 0, 0, data);
}

/** A GOAWAY frame: the last stream processed, an error code and debug text. */
export function goawayFrame(lastStreamId: number, code: number, debug = ""): Uint8Array {
  const text = new TextEncoder().encode(debug);
  const payload = new Uint8Array(8 + text.length);
  const view = new DataView(payload.buffer);
  view.setUint32(0, lastStreamId & 0x7fffffff);
  view.setUint32(4, code);
  payload.set(text, 8);
  return frame(FrameType.GOAWAY, 0, 0, payload);
}

/** A 32-bit big-endian number at `at` of `bytes`. */
export function readU32(bytes: Uint8Array, at = 0): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}
