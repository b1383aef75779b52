/**
 * The wire format of the REST stream mode: one long HTTP response,
 * `multipart/x-mixed-replace` as MJPEG cameras stream, whose parts are raw
 * frames (rest/README.md, "Stream mode", documents it for any reader):
 *
 *     --framebench-frame\r\n
 *     Content-Type: application/octet-stream\r\n
 *     Content-Length: 6220800\r\n
 *     X-Frame-Index: 0\r\n
 *     X-Frame-Width: 1920\r\n
 *     X-Frame-Height: 1080\r\n
 *     X-Frame-Format: rgb24\r\n
 *     X-Published-At: 81234567.891\r\n
 *     \r\n
 *     <6220800 bytes of rgb24>\r\n
 *     --framebench-frame\r\n
 *     ...
 *
 * The last part ends the stream (common/properties.ts `encodeStreamEnd`): a
 * 0x0 frame with no bytes whose index is the number of frames published; the
 * closing boundary `--framebench-frame--` follows it.
 *
 * @module
 */

import { BYTES_PER_PIXEL, type PixelFormat } from "../common/frame.ts";
import { NO_SLOT } from "../common/properties.ts";
import type { FrameProperties } from "../common/properties.ts";

/** The multipart boundary between frames. */
export const BOUNDARY = "framebench-frame";
/** The stream's content type. */
export const STREAM_CONTENT_TYPE = `multipart/x-mixed-replace; boundary=${BOUNDARY}`;
/** Most bytes of one part's boundary line and headers that a reader accepts. */
export const MAX_HEAD_BYTES = 16 * 1024;
/** The largest part a reader accepts: an 8192x8192 rgb24 frame. */
export const MAX_PART_BYTES = 8192 * 8192 * 3;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CRLF = "\r\n";

function headText(p: FrameProperties, bytes: number): string {
  return `--${BOUNDARY}${CRLF}Content-Type: application/octet-stream${CRLF}` +
    `Content-Length: ${bytes}${CRLF}X-Frame-Index: ${p.index}${CRLF}` +
    `X-Frame-Width: ${p.width}${CRLF}X-Frame-Height: ${p.height}${CRLF}` +
    `X-Frame-Format: ${p.format}${CRLF}X-Published-At: ${p.sentAt}${CRLF}${CRLF}`;
}

/**
 * One frame's part, boundary to trailing CRLF, in a new buffer.
 *
 * Copy: the frame's bytes are copied into the part. The part outlives the
 * frame's place in the publisher's pool: the runtime writes a chunk of a
 * response body from its JavaScript memory, without copying it, whenever the
 * socket takes it, and does not tell when it is done with it. So each part is
 * new memory, never reused, and the same part goes to every subscriber.
 */
export function framePart(frame: Uint8Array, properties: FrameProperties): Uint8Array {
  const head = encoder.encode(headText(properties, frame.byteLength));
  const part = new Uint8Array(head.byteLength + frame.byteLength + 2);
  part.set(head);
  part.set(frame, head.byteLength);
  part[part.byteLength - 2] = 13;
  part[part.byteLength - 1] = 10;
  return part;
}

/** The part that ends a stream of `published` frames, and the closing boundary. */
export function endPart(published: number, sentAt: number): Uint8Array {
  const p: FrameProperties = {
    index: published,
    width: 0,
    height: 0,
    format: "rgb24",
    slot: NO_SLOT,
    sentAt,
  };
  return encoder.encode(`${headText(p, 0)}${CRLF}--${BOUNDARY}--${CRLF}`);
}

/** What {@linkcode PartReader.next} gives: a frame (valid until the next call) or the end. */
export type Part =
  | { kind: "frame"; frame: Uint8Array; properties: FrameProperties }
  | { kind: "end"; published: number };

/** A part's header as a whole number; throws one line when it is missing or not one. */
function wholeNumber(headers: Map<string, string>, name: string): number {
  const text = headers.get(name);
  if (text === undefined) throw new Error(`a part has no ${name} header`);
  if (!/^\d{1,15}$/.test(text)) throw new Error(`a part's ${name} is "${text.slice(0, 40)}"`);
  return Number(text);
}

/** The index of `\r\n\r\n` in `bytes[from, to)`, or -1. */
function blankLine(bytes: Uint8Array, from: number, to: number): number {
  for (let i = from; i + 3 < to; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

/**
 * Reads the parts of a stream response body, each frame into one buffer
 * reused from frame to frame (grown to the largest frame).
 *
 * Copy: the runtime copies the body from its socket buffers into that buffer
 * (a BYOB read), the one copy that reading a body costs and that cannot be
 * avoided: the frame must end up in memory that JavaScript owns. Only the few
 * frame bytes read along with a part's headers are copied a second time, from
 * the head buffer into the frame buffer. Nothing frame-sized is allocated per
 * frame; only the headers (a few hundred bytes) become new strings.
 */
export class PartReader {
  readonly #byob?: ReadableStreamBYOBReader;
  readonly #chunks?: ReadableStreamDefaultReader<Uint8Array>;
  /** A default reader's chunk not yet taken. */
  #chunk?: Uint8Array;
  /** Bytes read past the last part, at [#start, #end) of it. */
  #head: Uint8Array<ArrayBuffer> = new Uint8Array(MAX_HEAD_BYTES);
  #start = 0;
  #end = 0;
  #frame: Uint8Array<ArrayBuffer>;
  #partsRead = 0;

  /** Reads `body`; `frameBytes` sizes the frame buffer at first. */
  constructor(body: ReadableStream<Uint8Array>, frameBytes = 0) {
    this.#frame = new Uint8Array(frameBytes);
    try {
      this.#byob = body.getReader({ mode: "byob" });
    } catch {
      this.#chunks = body.getReader(); // not a byte stream: its chunks are copied in
    }
  }

  /**
   * Reads at most `length` bytes into `buffer` at `at`; returns the buffer (a
   * BYOB read hands back the same memory as a new object) and the bytes
   * read, 0 at the end of the body.
   */
  async #read(
    buffer: Uint8Array<ArrayBuffer>,
    at: number,
    length: number,
  ): Promise<{ buffer: Uint8Array<ArrayBuffer>; n: number }> {
    if (this.#byob) {
      const { done, value } = await this.#byob.read(new Uint8Array(buffer.buffer, at, length));
      if (value) buffer = new Uint8Array(value.buffer as ArrayBuffer);
      return { buffer, n: done ? 0 : value.byteLength };
    }
    if (!this.#chunk || this.#chunk.byteLength === 0) {
      const { done, value } = await this.#chunks!.read();
      if (done) return { buffer, n: 0 };
      this.#chunk = value;
    }
    const n = Math.min(length, this.#chunk.byteLength);
    buffer.set(this.#chunk.subarray(0, n), at);
    this.#chunk = this.#chunk.subarray(n);
    return { buffer, n };
  }

  /** The next part. Throws one line when the body ends mid-part or is not this format. */
  async next(): Promise<Part> {
    let blank = blankLine(this.#head, this.#start, this.#end);
    while (blank < 0) {
      if (this.#start > 0) {
        this.#head.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
      if (this.#end === MAX_HEAD_BYTES) {
        throw new Error(`a part's headers are over ${MAX_HEAD_BYTES} bytes`);
      }
      const { buffer, n } = await this.#read(this.#head, this.#end, MAX_HEAD_BYTES - this.#end);
      this.#head = buffer;
      if (n === 0) {
        // Only the CRLF that ends a part's bytes: the stream stopped between two parts.
        const between = this.#end === 0 ||
          (this.#end === 2 && this.#head[0] === 13 && this.#head[1] === 10);
        throw new Error(
          between && this.#partsRead > 0
            ? "the stream closed without its end part"
            : `the stream closed mid-part (after ${this.#end} bytes of part ${this.#partsRead})`,
        );
      }
      blank = blankLine(this.#head, Math.max(0, this.#end - 3), this.#end + n);
      this.#end += n;
    }
    const lines = decoder.decode(this.#head.subarray(this.#start, blank)).split(CRLF);
    this.#start = blank + 4;
    // The CRLF that ends the previous part's bytes comes before the boundary.
    while (lines[0] === "") lines.shift();
    if (lines[0] !== `--${BOUNDARY}`) {
      throw new Error(`expected the boundary --${BOUNDARY}, got "${lines[0]?.slice(0, 60)}"`);
    }
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) {
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
    }
    const bytes = wholeNumber(headers, "content-length");
    const width = wholeNumber(headers, "x-frame-width");
    const height = wholeNumber(headers, "x-frame-height");
    const index = wholeNumber(headers, "x-frame-index");
    const sentAt = Number(headers.get("x-published-at"));
    const format = (headers.get("x-frame-format") ?? "rgb24") as PixelFormat;
    this.#partsRead++;
    if (width === 0 && height === 0) return { kind: "end", published: index };
    if (!Object.hasOwn(BYTES_PER_PIXEL, format)) {
      throw new Error(`unknown pixel format "${format}"`);
    }
    if (bytes > MAX_PART_BYTES || bytes !== width * height * BYTES_PER_PIXEL[format]) {
      throw new Error(`frame ${index}: ${bytes} bytes do not make a ${width}x${height} ${format}`);
    }
    if (!Number.isFinite(sentAt)) throw new Error(`frame ${index}: no X-Published-At`);
    if (this.#frame.byteLength < bytes) this.#frame = new Uint8Array(bytes);
    // Frame bytes read along with the headers (at most MAX_HEAD_BYTES).
    let got = Math.min(bytes, this.#end - this.#start);
    this.#frame.set(this.#head.subarray(this.#start, this.#start + got));
    this.#start += got;
    while (got < bytes) {
      const { buffer, n } = await this.#read(this.#frame, got, bytes - got);
      this.#frame = buffer;
      if (n === 0) {
        throw new Error(`the stream closed mid-frame (${got} of ${bytes} bytes of frame ${index})`);
      }
      got += n;
    }
    return {
      kind: "frame",
      frame: this.#frame.subarray(0, bytes),
      properties: { index, width, height, format, slot: NO_SLOT, sentAt },
    };
  }

  /** Stops reading the body. */
  async cancel(): Promise<void> {
    await (this.#byob ?? this.#chunks)?.cancel().catch(() => {});
  }
}
