/**
 * The REST server's routes: one per variant of the original study (see
 * server.ts for the table), each checking a frame against the size it states
 * and sending it back; a bad request gets a 4xx and one JSON line
 * `{"error": "..."}`.
 *
 * @module
 */

import {
  BYTES_PER_PIXEL,
  type FrameGeometry,
  frameGeometry,
  type PixelFormat,
} from "../common/frame.ts";
import { ServerStats } from "../common/server.ts";
import { BodyTooLarge, drainBody, readBody } from "./body.ts";
import { parseFrameMessage, writeFrameMessage } from "./frame_json.ts";
import { errorResponse, HttpError, requireContentType } from "./http_error.ts";
import { DEFAULT_QUALITY } from "./jpeg_quality.ts";
import { type FormPart, MultipartError, parseMultipart } from "./multipart.ts";
import { ScratchPool } from "./scratch.ts";
import {
  DecodeError,
  type EncoderName,
  ENCODERS,
  textCodec,
  type TextEncoding,
} from "./text_codec.ts";

const decoder = new TextDecoder();

/** Uploads kept for their download: more than any client keeps in flight. */
export const MAX_STORED_UPLOADS = 8;

/** A stored upload waiting for its download. */
interface Upload {
  index: number;
  geometry: FrameGeometry;
  /** A view into the upload's request body: the frame is not copied to be stored. */
  frame: Uint8Array<ArrayBuffer>;
}

function frameHeaders(geometry: FrameGeometry, index: number): Record<string, string> {
  return {
    "content-type": "application/octet-stream",
    "x-frame-width": String(geometry.width),
    "x-frame-height": String(geometry.height),
    "x-frame-format": geometry.format,
    "x-frame-index": String(index),
  };
}

function wholeNumber(text: string | null, name: string): number {
  if (text === null) throw new HttpError(400, `${name} is missing`);
  if (!/^\d{1,15}$/.test(text.trim())) {
    throw new HttpError(400, `${name} must be a whole number, got "${text.slice(0, 40)}"`);
  }
  return Number(text);
}

function geometryOf(width: number, height: number, format: string): FrameGeometry {
  try {
    return frameGeometry(width, height, format as PixelFormat);
  } catch (error) {
    throw new HttpError(400, (error as Error).message);
  }
}

function checkSize(bytes: Uint8Array, geometry: FrameGeometry, what: string): void {
  if (bytes.byteLength !== geometry.frameBytes) {
    throw new HttpError(
      400,
      `${what} is ${bytes.byteLength} bytes, the stated ${geometry.width}x${geometry.height} ${geometry.format} needs ${geometry.frameBytes}`,
    );
  }
}

/** Serves the REST routes; one instance per server. */
export class RestRoutes {
  readonly #stats: ServerStats;
  readonly #maxBytes: number;
  readonly #scratch = new ScratchPool();
  readonly #uploads = new Map<string, Upload>();
  #nextUpload = 1;
  /** rest/jpeg.ts, loaded (with libvips) at the first JPEG request. */
  #jpegCodec?: Promise<typeof import("./jpeg.ts")>;

  constructor(stats: ServerStats, maxBytes: number) {
    this.#stats = stats;
    this.#maxBytes = maxBytes;
  }

  /** Answers one request; never throws. */
  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const route = `${request.method} ${url.pathname.slice(0, 100)}`;
    let reading = false;
    try {
      const read = async <T>(use: () => Promise<T>): Promise<T> => {
        reading = true;
        const result = await use();
        reading = false;
        return result;
      };
      switch (url.pathname) {
        case "/frames/raw":
          this.#method(request, "POST");
          return await this.#raw(request, read);
        case "/frames/base64":
        case "/frames/hex":
          this.#method(request, "POST");
          return await this.#text(
            request,
            url.pathname === "/frames/base64" ? "base64" : "hex",
            url.searchParams.get("encoder") ?? "native",
            read,
          );
        case "/frames/jpeg":
          this.#method(request, "POST");
          return await this.#jpeg(request, read);
        case "/uploads":
          this.#method(request, "POST");
          return await this.#upload(request, read);
        case "/":
          this.#method(request, "GET");
          return Response.json({ transport: "rest", routes: ROUTES });
      }
      if (url.pathname.startsWith("/uploads/")) {
        this.#method(request, "GET");
        return this.#download(url.pathname.slice("/uploads/".length));
      }
      throw new HttpError(404, `no route ${route}`);
    } catch (error) {
      const refusal = error instanceof HttpError
        ? error
        : new HttpError(500, `server error: ${(error as Error)?.message ?? error}`);
      this.#stats.refuse(`${route}: ${refusal.status} ${refusal.message}`);
      // A body that was refused unread is drained, so that the connection can
      // carry the next request; one too large, or cut off mid-read, closes it.
      const close = reading || refusal instanceof BodyTooLarge ||
        !await drainBody(request, this.#maxBytes);
      return errorResponse(refusal, close);
    }
  }

  #method(request: Request, method: string): void {
    if (request.method !== method) {
      throw new HttpError(
        405,
        `${new URL(request.url).pathname.slice(0, 100)} takes ${method}, not ${request.method}`,
        { allow: method },
      );
    }
  }

  /** raw: the frame as the body, sent back as the body. */
  #raw(request: Request, read: <T>(use: () => Promise<T>) => Promise<T>): Promise<Response> {
    requireContentType(request, "application/octet-stream");
    const h = request.headers;
    const geometry = geometryOf(
      wholeNumber(h.get("x-frame-width"), "x-frame-width"),
      wholeNumber(h.get("x-frame-height"), "x-frame-height"),
      h.get("x-frame-format") ?? "rgb24",
    );
    const index = wholeNumber(h.get("x-frame-index"), "x-frame-index");
    return this.#scratch.with(async (scratch) => {
      const frame = await read(() => readBody(request, this.#maxBytes, scratch));
      checkSize(frame, geometry, "body");
      this.#stats.frames++;
      // Copy: the Response takes its own copy of the bytes, so the scratch
      // buffer is free for the next request as soon as this returns.
      return new Response(frame, { headers: frameHeaders(geometry, index) });
    });
  }

  /** base64 / hex: decode the frame (validating it), encode it again, send it back. */
  #text(
    request: Request,
    encoding: TextEncoding,
    encoder: string,
    read: <T>(use: () => Promise<T>) => Promise<T>,
  ): Promise<Response> {
    if (!ENCODERS.includes(encoder as EncoderName)) {
      throw new HttpError(400, `encoder must be one of ${ENCODERS.join(", ")}, got "${encoder}"`);
    }
    const codec = textCodec(encoding, encoder as EncoderName);
    requireContentType(request, "application/json");
    return this.#scratch.with(async (scratch) => {
      const body = await read(() => readBody(request, this.#maxBytes, scratch));
      // From here on all is synchronous, so the frame and reply buffers below
      // are this request's alone until the Response has copied the reply.
      const message = parseFrameMessage(body);
      const { geometry, index } = message;
      let frame: Uint8Array;
      try {
        // The decoded frame: into a reused frame buffer (native) or a new one (js).
        frame = codec.decode(message.data, this.#frame(geometry.frameBytes));
      } catch (error) {
        if (error instanceof DecodeError) throw new HttpError(400, error.message);
        throw error;
      }
      this.#stats.frames++;
      // The reply overwrites the request body in the scratch buffer: it is parsed already.
      const reply = writeFrameMessage({ geometry, index }, codec.encode(frame), scratch);
      return new Response(reply, { headers: { "content-type": "application/json" } });
    });
  }

  #frameBuffer = new Uint8Array(0);
  /** A frame buffer for synchronous use only (decode, then encode, with no await between). */
  #frame(length: number): Uint8Array {
    if (this.#frameBuffer.byteLength < length) this.#frameBuffer = new Uint8Array(length);
    return this.#frameBuffer.subarray(0, length);
  }

  /** jpeg: decode the JPEG (validating it), encode the frame again, send it back. */
  #jpeg(request: Request, read: <T>(use: () => Promise<T>) => Promise<T>): Promise<Response> {
    requireContentType(request, "application/json");
    return this.#scratch.with(async (scratch) => {
      const body = await read(() => readBody(request, this.#maxBytes, scratch));
      const message = parseFrameMessage(body, { jpeg: true });
      const { geometry, index } = message;
      const quality = message.quality ?? DEFAULT_QUALITY;
      let jpeg: Uint8Array;
      try {
        jpeg = (Uint8Array as unknown as { fromBase64(text: string): Uint8Array }).fromBase64(
          message.data,
        );
      } catch (error) {
        throw new HttpError(400, `data is not valid base64: ${(error as Error).message}`);
      }
      const codec = await (this.#jpegCodec ??= import("./jpeg.ts"));
      const decoded = await codec.decodeJpeg(jpeg).catch((error) => {
        throw new HttpError(400, error.message);
      });
      if (
        decoded.width !== geometry.width || decoded.height !== geometry.height ||
        decoded.channels !== 3
      ) {
        throw new HttpError(
          400,
          `JPEG is ${decoded.width}x${decoded.height} with ${decoded.channels} channels, the stated frame is ${geometry.width}x${geometry.height} ${geometry.format}`,
        );
      }
      const again = await codec.encodeJpeg(decoded.pixels, geometry, quality);
      this.#stats.frames++;
      const text = (again as unknown as { toBase64(): string }).toBase64();
      const reply = writeFrameMessage({ geometry, index, quality }, text, scratch);
      return new Response(reply, { headers: { "content-type": "application/json" } });
    });
  }

  /** multipart upload: parse the form, keep the frame for its download. */
  async #upload(
    request: Request,
    read: <T>(use: () => Promise<T>) => Promise<T>,
  ): Promise<Response> {
    const { boundary } = requireContentType(request, "multipart/form-data");
    if (!boundary) throw new HttpError(400, "multipart/form-data without a boundary parameter");
    // A new buffer, not a scratch one: the stored frame is a view into it.
    const body = await read(() => readBody(request, this.#maxBytes));
    let parts;
    try {
      // The frame's length from the fields before it, when they came first
      // (as this suite's client and `curl -F` in that order send them).
      const lengthHint = (name: string, before: readonly FormPart[]) => {
        if (name !== "frame") return undefined;
        const value = (field: string) =>
          Number(decoder.decode(before.find((p) => p.name === field)?.body));
        const format = decoder.decode(before.find((p) => p.name === "format")?.body);
        const bytesPerPixel = BYTES_PER_PIXEL[format as PixelFormat];
        const length = value("width") * value("height") * bytesPerPixel;
        return Number.isSafeInteger(length) ? length : undefined;
      };
      parts = parseMultipart(body, boundary, { lengthHint });
    } catch (error) {
      if (error instanceof MultipartError) throw new HttpError(400, error.message);
      throw error;
    }
    const field = (name: string) => {
      const part = parts.find((p) => p.name === name);
      if (!part) throw new HttpError(400, `form field "${name}" is missing`);
      return part;
    };
    const text = (name: string) => decoder.decode(field(name).body);
    const geometry = geometryOf(
      wholeNumber(text("width"), "width"),
      wholeNumber(text("height"), "height"),
      text("format"),
    );
    const index = wholeNumber(text("index"), "index");
    const frame = field("frame");
    if (frame.filename === undefined) throw new HttpError(400, 'form field "frame" is not a file');
    checkSize(frame.body, geometry, 'file "frame"');
    const id = String(this.#nextUpload++);
    this.#uploads.set(id, { index, geometry, frame: frame.body });
    if (this.#uploads.size > MAX_STORED_UPLOADS) {
      const [oldest] = this.#uploads.keys();
      this.#uploads.delete(oldest);
      console.error(
        `rest:server: dropped upload ${oldest}, never downloaded (keeps ${MAX_STORED_UPLOADS})`,
      );
    }
    const location = `/uploads/${id}`;
    return Response.json({ id, index, bytes: frame.body.byteLength, location }, {
      status: 201,
      headers: { location },
    });
  }

  /** multipart download: the stored frame, once. */
  #download(id: string): Response {
    const upload = this.#uploads.get(id);
    if (!upload) throw new HttpError(404, `no upload "${id.slice(0, 40)}" (downloaded already?)`);
    this.#uploads.delete(id);
    this.#stats.frames++;
    // Copy: the Response copies the stored bytes; the upload's body is then garbage.
    return new Response(upload.frame, { headers: frameHeaders(upload.geometry, upload.index) });
  }
}

/** The routes, as `GET /` lists them. */
export const ROUTES = [
  "POST /frames/raw",
  "POST /uploads",
  "GET /uploads/ID",
  "POST /frames/base64",
  "POST /frames/hex",
  "POST /frames/jpeg",
];
