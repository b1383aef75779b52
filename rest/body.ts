/**
 * Reading a request body whole without ever holding more than a limit: the
 * declared `content-length` is checked before a byte is read, and a body
 * without one (chunked) is counted while it streams in.
 *
 * @module
 */

import { HttpError } from "./http_error.ts";
import type { Scratch } from "./scratch.ts";

/** A body over the limit: answer 413 and close the connection (its body was not read). */
export class BodyTooLarge extends HttpError {
  constructor(message: string) {
    super(413, message);
    this.name = "BodyTooLarge";
  }
}

/**
 * Reads the whole body of `request`, at most `maxBytes`, into `scratch` when
 * given (the bytes are then valid until its next use), else into a new
 * buffer. Throws {@linkcode BodyTooLarge} when the declared length or the
 * bytes that arrive pass the limit (without reading or keeping the rest), and
 * a 400 {@linkcode HttpError} for a malformed `content-length` or a body cut
 * short.
 *
 * Copies: with a `content-length` (what fetch sends for a byte body), the
 * body is copied once, out of the runtime's socket buffers into `scratch` or
 * the new buffer; HTTP/1.1 framing ends the body at the declared length, so
 * nothing more is buffered. A chunked body is copied once more, to join its
 * chunks.
 */
export async function readBody(
  request: Request,
  maxBytes: number,
  scratch?: Scratch,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    if (!/^\d+$/.test(declared.trim())) {
      throw new HttpError(400, `content-length "${declared}" is not a number`);
    }
    const length = Number(declared);
    if (length > maxBytes) {
      throw new BodyTooLarge(`body of ${length} bytes is over the server's limit of ${maxBytes}`);
    }
    if (request.body === null || length === 0) return new Uint8Array(0);
    try {
      return scratch ? await scratch.readFrom(request.body, length) : await request.bytes();
    } catch (error) {
      throw new HttpError(400, `body not read whole: ${(error as Error).message}`);
    }
  }
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch (error) {
      throw new HttpError(400, `body not read whole: ${(error as Error).message}`);
    }
    const { done, value } = next;
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLarge(`chunked body passed the server's limit of ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  // The copy that joins the chunks into one buffer.
  const body = scratch ? scratch.take(total) : new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

/**
 * Reads and drops what is left of a refused request's body, at most
 * `maxBytes`, so that its keep-alive connection can carry the next request.
 * Returns false when the body is larger (the connection must then close).
 */
export async function drainBody(request: Request, maxBytes: number): Promise<boolean> {
  if (request.bodyUsed || request.body === null) return true;
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) return false;
  let total = 0;
  try {
    for await (const chunk of request.body) {
      total += chunk.byteLength;
      if (total > maxBytes) return false;
    }
  } catch {
    return false;
  }
  return true;
}
