#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-ffi --allow-env
/**
 * The REST echo server on `Deno.serve` (HTTP/1.1, keep-alive), one route per
 * variant of the original study. Each takes a frame, checks it against the
 * size it states, and sends the frame back:
 *
 * | route                 | request                                          | reply               |
 * |-----------------------|--------------------------------------------------|---------------------|
 * | `POST /frames/raw`    | `application/octet-stream` frame, size in `x-frame-width`, `x-frame-height`, `x-frame-format`, `x-frame-index` | the same bytes |
 * | `POST /uploads`       | `multipart/form-data`: fields width, height, format, index and file `frame` | `201` `{"id", "location"}` |
 * | `GET /uploads/ID`     | (the download back; each upload downloads once)  | the frame bytes     |
 * | `POST /frames/base64` | JSON `{width, height, format, index, data}`; `?encoder=native\|js` | the same, re-encoded |
 * | `POST /frames/hex`    | as base64, in hex                                | the same, re-encoded |
 * | `POST /frames/jpeg`   | as base64, `data` a base64 JPEG, and `quality`   | the decoded frame encoded again at `quality` |
 *
 * A bad request gets a 4xx and one JSON line `{"error": "..."}`, and the
 * server goes on. No body is read past `--max-bytes`.
 *
 *     deno task rest:server [--host 127.0.0.1] [--port 8080] [--unix PATH] [--max-bytes N]
 *
 * Copies of a frame in the server, per request (raw): the body is read from
 * the runtime's socket buffers into a reused buffer (one copy), and
 * `new Response(bytes)` takes a copy of it, as the Fetch standard requires
 * of a byte body (a second copy), which the runtime writes to the socket.
 *
 * @module
 */

import { removeOnExit } from "../common/cleanup.ts";
import { runMain, shutdownSignal } from "../common/cli.ts";
import {
  type CommandSpec,
  numberFlag,
  parseServerFlags,
  SERVER_FLAGS,
  usage,
} from "../common/flags.ts";
import {
  BYTES_PER_PIXEL,
  type FrameGeometry,
  frameGeometry,
  type PixelFormat,
} from "../common/frame.ts";
import { ServerStats } from "../common/server.ts";
import { listenPrivately, unixSocketInUse } from "../common/unix_socket.ts";
import { ALLOCATOR_FLAG, tuneAllocator } from "./allocator.ts";
import { BodyTooLarge, drainBody, readBody } from "./body.ts";
import { type Endpoint, ENDPOINT_FLAGS, endpointUrl, parseEndpoint } from "./endpoint.ts";
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

/** The largest request body by default: a 4K rgb24 frame as hex JSON, and 1 MiB to spare. */
export const DEFAULT_MAX_BYTES = 3840 * 2160 * 3 * 2 + 1024 * 1024;

/** Uploads kept for their download: more than any client keeps in flight. */
export const MAX_STORED_UPLOADS = 8;

const COMMAND: CommandSpec = {
  name: "rest:server",
  summary: "Echoes frames over HTTP (REST) until Ctrl-C: raw, multipart, base64, hex and JPEG.",
  flags: {
    ...ENDPOINT_FLAGS,
    "max-bytes": {
      type: "string",
      default: String(DEFAULT_MAX_BYTES),
      description: "largest request body accepted; a larger one gets 413",
    },
    ...ALLOCATOR_FLAG,
  },
};

/** Options for {@linkcode serveRest}. */
export interface RestServerOptions {
  /** Where to listen. Default: TCP 127.0.0.1:8080. */
  endpoint?: Endpoint;
  /** Largest request body accepted, in bytes. Default: {@linkcode DEFAULT_MAX_BYTES}. */
  maxBytes?: number;
  /** Stops the server when aborted. */
  signal: AbortSignal;
}

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
class RestRoutes {
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

/**
 * Serves until `signal` aborts, then closes the listener and its
 * connections, removes a unix socket file, prints the stopped line and returns
 * what it served. Throws, before serving, when the endpoint is in use.
 */
export async function serveRest(options: RestServerOptions): Promise<ServerStats> {
  const endpoint = options.endpoint ?? { kind: "tcp", host: "127.0.0.1", port: 8080 };
  const stats = new ServerStats("rest");
  const routes = new RestRoutes(stats, options.maxBytes ?? DEFAULT_MAX_BYTES);
  if (endpoint.kind === "unix" && await unixSocketInUse(endpoint.path)) {
    throw new Error(`${endpointUrl(endpoint)} is in use by another server`);
  }
  if (endpoint.kind === "unix") await Deno.remove(endpoint.path).catch(() => {}); // a stale file
  const serveOptions = {
    signal: options.signal,
    onListen: () => {},
    onError: (error: unknown) =>
      errorResponse(new HttpError(500, `server error: ${(error as Error)?.message ?? error}`)),
  };
  const handler = (request: Request) => routes.handle(request);
  let server: Deno.HttpServer | undefined;
  let removeSocketFile: (() => void) | undefined;
  try {
    let url: string;
    if (endpoint.kind === "unix") {
      // Deno.serve listens before it returns.
      await listenPrivately(endpoint.path, (at) => {
        server = Deno.serve({ ...serveOptions, path: at }, handler);
      });
      removeSocketFile = removeOnExit(endpoint.path);
      url = endpointUrl(endpoint);
    } else {
      try {
        server = Deno.serve(
          { ...serveOptions, hostname: endpoint.host, port: endpoint.port },
          handler,
        );
      } catch (error) {
        if (error instanceof Deno.errors.AddrInUse) {
          throw new Error(
            `${endpointUrl(endpoint)} is in use by another process (pick another --port)`,
          );
        }
        throw error;
      }
      url = endpointUrl({ ...endpoint, port: (server.addr as Deno.NetAddr).port });
    }
    stats.ready(url);
    await server!.finished;
  } finally {
    // A failure after listening (the socket file could not be moved into place).
    if (server && !options.signal.aborted) await server.shutdown();
    removeSocketFile?.();
  }
  stats.stopped();
  return stats;
}

if (import.meta.main) {
  runMain(COMMAND.name, async (args) => {
    const { help, flags } = parseServerFlags(args, COMMAND);
    if (help) return console.log(usage(COMMAND, SERVER_FLAGS));
    const endpoint = parseEndpoint(flags, args);
    const maxBytes = numberFlag("max-bytes", flags["max-bytes"], { integer: true });
    if (flags["default-malloc"] !== true) tuneAllocator();
    await serveRest({ endpoint, maxBytes, signal: shutdownSignal() });
  });
}
