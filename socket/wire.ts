/**
 * The socket transport's messages, on a unix or TCP stream socket:
 *
 * - a **frame** is the 32 bytes of frame properties (common/properties.ts:
 *   magic "FBP1", format, slot 0xffff, width, height, index, send time),
 *   then the pixels, width x height x 3 bytes for rgb24: the length is in
 *   the properties, so no other prefix is needed;
 * - the server answers a frame with the same bytes (the echo);
 * - a **refusal** is 32 bytes, u32 magic `0x31454246` ("FBE1"), u32 length N
 *   (at most 1024), 24 zero bytes, then N bytes of UTF-8 saying why; the
 *   server closes the connection after it, since it no longer knows where
 *   the next message starts.
 *
 * Every number is little-endian. See socket/README.md.
 *
 * @module
 */

import { BYTES_PER_PIXEL } from "../common/frame.ts";
import { decodeProperties, type FrameProperties, PROPERTIES_BYTES } from "../common/properties.ts";

/** Bytes of a message's head: the frame properties, or a refusal's magic and length. */
export const HEAD_BYTES = PROPERTIES_BYTES;
/** The magic number of a refusal ("FBE1"). */
export const REFUSAL_MAGIC = 0x31454246;
/** The longest refusal text, in bytes. */
export const MAX_REFUSAL_BYTES = 1024;

/** A stream socket, as Deno.connect and Deno.listen give it. */
export type StreamConn = Deno.Conn;

/**
 * Reads until `into` is full. Returns false when the peer closed the
 * connection before the first byte (between messages); throws when it
 * closed in the middle.
 */
export async function readFull(conn: StreamConn, into: Uint8Array): Promise<boolean> {
  let at = 0;
  while (at < into.byteLength) {
    // The kernel copies the bytes straight into `into`: the one copy of a receive.
    const n = await conn.read(into.subarray(at));
    if (n === null) {
      if (at === 0) return false;
      throw new Error(`the connection closed after ${at} of ${into.byteLength} bytes`);
    }
    at += n;
  }
  return true;
}

/** Writes all of `bytes` (a write may take only part of them). */
export async function writeFull(conn: StreamConn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.byteLength;) at += await conn.write(bytes.subarray(at));
}

/** The pixel bytes that frame properties announce. */
export function pixelBytes(properties: FrameProperties): number {
  return properties.width * properties.height * BYTES_PER_PIXEL[properties.format];
}

/** A message head, read: a frame's properties, or a refusal and the bytes of its text. */
export type Head =
  | { kind: "frame"; properties: FrameProperties }
  | { kind: "refusal"; textBytes: number };

/** Reads a message head; throws a one-line error for anything else. */
export function decodeHead(head: Uint8Array): Head {
  const view = new DataView(head.buffer, head.byteOffset, HEAD_BYTES);
  if (view.getUint32(0, true) === REFUSAL_MAGIC) {
    const textBytes = view.getUint32(4, true);
    if (textBytes > MAX_REFUSAL_BYTES) {
      throw new Error(`a refusal of ${textBytes} bytes, over ${MAX_REFUSAL_BYTES}`);
    }
    return { kind: "refusal", textBytes };
  }
  return { kind: "frame", properties: decodeProperties(head) };
}

const encoder = new TextEncoder();

/** A refusal message, head and text, saying `why` (cut to {@linkcode MAX_REFUSAL_BYTES}). */
export function encodeRefusal(why: string): Uint8Array {
  const text = encoder.encode(why).subarray(0, MAX_REFUSAL_BYTES);
  const message = new Uint8Array(HEAD_BYTES + text.byteLength);
  const view = new DataView(message.buffer);
  view.setUint32(0, REFUSAL_MAGIC, true);
  view.setUint32(4, text.byteLength, true);
  message.set(text, HEAD_BYTES);
  return message;
}
