/**
 * The JSON message of the text variants, as in the original study:
 * `{"width", "height", "format", "index", "data"}` (plus `"quality"` for
 * JPEG), where `data` is the frame (or its JPEG) as base64 or hex text.
 *
 * @module
 */

import {
  BYTES_PER_PIXEL,
  type FrameGeometry,
  frameGeometry,
  type PixelFormat,
} from "../common/frame.ts";
import { HttpError } from "./http_error.ts";
import type { Scratch } from "./scratch.ts";

/** What a frame message says about its frame, besides the data. */
export interface FrameHeader {
  /** Geometry of the frame (for JPEG: of the decoded frame). */
  geometry: FrameGeometry;
  /** Frame index. */
  index: number;
  /** JPEG quality, 1-100, for the JPEG variant. */
  quality?: number;
}

/** A parsed frame message. */
export interface FrameMessage extends FrameHeader {
  /** The frame as text. */
  data: string;
}

const encoder = new TextEncoder();
// Not `fatal`: a fatal decoder took ~4 ms on an 8 MB message, this one ~0.3
// ms; a byte that is not UTF-8 becomes U+FFFD, which no valid message holds
// (the data alphabets are ASCII), so such a message is still refused.
const decoder = new TextDecoder();

const DATA_KEY = ',"data":"';

/**
 * Parses the message text. Fast path for the shape this suite writes (the
 * data last, `...,"data":"TEXT"}`): when the data text holds no `"` or `\`,
 * it is a plain JSON string, so only the short head is given to JSON.parse
 * and the data is a slice of the text (no copy); measured on a 1080p frame as
 * base64, JSON.parse of the whole message took 1-5 ms. Anything else goes to
 * JSON.parse whole.
 */
function parseJson(text: string): unknown {
  // indexOf, not lastIndexOf: V8's backward search was ~2 ms on 8 MB. A
  // second data key after this one would put quotes in the data: JSON.parse.
  const at = text.indexOf(DATA_KEY);
  if (at > 0 && text.endsWith('"}')) {
    const data = text.slice(at + DATA_KEY.length, -2);
    if (data.indexOf('"') < 0 && data.indexOf("\\") < 0) {
      let head: unknown;
      try {
        head = JSON.parse(text.slice(0, at) + "}");
      } catch {
        return JSON.parse(text);
      }
      // At least one field before: "{" + DATA_KEY would not be JSON.
      if (
        head !== null && typeof head === "object" && !Array.isArray(head) &&
        Object.keys(head).length > 0
      ) {
        return Object.assign(head, { data });
      }
    }
  }
  return JSON.parse(text);
}

/**
 * Writes the JSON of a frame message into `scratch` and returns its bytes
 * (valid until the next use of `scratch`).
 *
 * The data text (base64 or hex, which needs no JSON escaping) is written
 * straight into the reused buffer with `encodeInto`: measured on a 1080p
 * frame, `JSON.stringify` plus `TextEncoder.encode` of the whole message took
 * about 8 ms, mostly for allocating new 8 MB buffers; this takes about 0.2 ms.
 */
export function writeFrameMessage(
  header: FrameHeader,
  data: string,
  scratch: Scratch,
): Uint8Array<ArrayBuffer> {
  const { width, height, format } = header.geometry;
  const head = JSON.stringify({
    width,
    height,
    format,
    index: header.index,
    ...(header.quality === undefined ? {} : { quality: header.quality }),
  }).slice(0, -1) + ',"data":"';
  const tail = '"}';
  // Every character of head, data and tail is ASCII: one byte each.
  const out = scratch.take(head.length + data.length + tail.length);
  let at = encoder.encodeInto(head, out).written;
  at += encoder.encodeInto(data, out.subarray(at)).written;
  at += encoder.encodeInto(tail, out.subarray(at)).written;
  return out.subarray(0, at);
}

function wholeNumber(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new HttpError(
      400,
      `"${name}" must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * Parses and checks a frame message. Throws a 400 {@linkcode HttpError} with
 * a one-line reason when it is not JSON, misses a field or has a bad value.
 */
export function parseFrameMessage(bytes: Uint8Array, { jpeg = false } = {}): FrameMessage {
  let value: unknown;
  try {
    value = parseJson(decoder.decode(bytes));
  } catch (error) {
    throw new HttpError(400, `body is not JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(400, "body must be a JSON object {width, height, format, index, data}");
  }
  const m = value as Record<string, unknown>;
  for (const field of ["width", "height", "format", "index", "data"]) {
    if (!(field in m)) throw new HttpError(400, `"${field}" is missing`);
  }
  if (typeof m.format !== "string" || !Object.hasOwn(BYTES_PER_PIXEL, m.format)) {
    throw new HttpError(
      400,
      `"format" must be one of ${Object.keys(BYTES_PER_PIXEL).join(", ")}, got ${
        JSON.stringify(m.format)
      }`,
    );
  }
  let geometry: FrameGeometry;
  try {
    geometry = frameGeometry(m.width as number, m.height as number, m.format as PixelFormat);
  } catch (error) {
    throw new HttpError(400, (error as Error).message);
  }
  const index = wholeNumber(m.index, "index", 0, Number.MAX_SAFE_INTEGER);
  if (typeof m.data !== "string") throw new HttpError(400, '"data" must be a string');
  const message: FrameMessage = { geometry, index, data: m.data };
  if (jpeg) {
    message.quality = m.quality === undefined
      ? undefined
      : wholeNumber(m.quality, "quality", 1, 100);
  }
  return message;
}
