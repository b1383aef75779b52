#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-ffi --allow-env
/**
 * The REST echo client on `fetch`: sends each frame to `deno task
 * rest:server` in the chosen variant, takes the frame that comes back, and
 * verifies it.
 *
 *     deno task rest:client --variant raw|multipart|base64|hex|jpeg [--encoder native|js]
 *         [--quality 90] [--host 127.0.0.1 --port 8080 | --unix PATH] [--in-flight 1]
 *
 * Copies of a frame in the client, per round trip (the kernel's own copies
 * into and out of the socket aside):
 * - raw: `fetch` copies the frame when the request is made (the Fetch
 *   standard copies a byte body; that copy is what the runtime writes to the
 *   socket); the reply is read from the runtime's buffers straight into a
 *   reused receive buffer (a BYOB read: one copy).
 * - multipart: the frame is copied into the form body (a reused buffer),
 *   which `fetch` copies; the download is read as in raw.
 * - base64 / hex: the frame is encoded into a new string, written as JSON
 *   into a reused buffer, which `fetch` copies; the reply is read into a
 *   reused buffer, its data taken as a string and decoded into a reused frame
 *   buffer (native) or a new one (js).
 * - jpeg: libvips reads the frame in place and writes a new JPEG, which goes
 *   as base64 as above; the reply's JPEG is decoded by libvips into a new
 *   frame buffer.
 *
 * @module
 */

import { runMain, shutdownSignal } from "../common/cli.ts";
import {
  type EchoTransport,
  FrameRefused,
  type PipelinedTransport,
  reportResult,
  runEcho,
} from "../common/echo.ts";
import {
  CLIENT_FLAGS,
  type CommandSpec,
  numberFlag,
  parseClientFlags,
  usage,
  UsageError,
} from "../common/flags.ts";
import type { FrameGeometry } from "../common/frame.ts";
import { runtimeInfo } from "../common/record.ts";
import { FrameSource, STAMP_BYTES, writeStamp } from "../common/source.ts";
import { checkStamps, type FrameError } from "../common/verify.ts";
import { ALLOCATOR_FLAG, tuneAllocator } from "./allocator.ts";
import { type Endpoint, ENDPOINT_FLAGS, endpointUrl, parseEndpoint } from "./endpoint.ts";
import { parseFrameMessage, writeFrameMessage } from "./frame_json.ts";
import { HttpError } from "./http_error.ts";
import { DEFAULT_QUALITY, psnr } from "./jpeg_quality.ts";
import { newBoundary, writeMultipart } from "./multipart.ts";
import { Scratch } from "./scratch.ts";
import {
  DecodeError,
  type EncoderName,
  ENCODERS,
  type TextCodec,
  textCodec,
} from "./text_codec.ts";

/** The variants, as `--variant` takes them; the first is the default. */
export const VARIANTS = ["raw", "multipart", "base64", "hex", "jpeg"] as const;
/** One variant. */
export type RestVariant = typeof VARIANTS[number];

/**
 * The PSNR a JPEG frame must keep, by default, against the frame that was
 * sent. Measured with this suite's frames after two JPEG generations (there
 * and back): 1080p keeps about 36 dB at quality 90 and 23 dB at quality 1;
 * 64x48 keeps 21.6 dB at 90; a different frame of the source scores 3-6 dB.
 */
export const DEFAULT_MIN_PSNR = 15;

const COMMAND: CommandSpec = {
  name: "rest:client",
  summary: "Sends frames to `deno task rest:server` over HTTP and verifies the echo.",
  variants: VARIANTS,
  flags: {
    ...ENDPOINT_FLAGS,
    encoder: {
      type: "string",
      default: "native",
      description: `base64/hex codec: ${ENCODERS.join(" (built into Deno), ")} (pure JS)`,
    },
    quality: {
      type: "string",
      default: String(DEFAULT_QUALITY),
      description: "JPEG quality, 1-100",
    },
    "min-psnr": {
      type: "string",
      default: String(DEFAULT_MIN_PSNR),
      description: "JPEG: least PSNR (dB) of a returned frame against the one sent",
    },
    ...ALLOCATOR_FLAG,
    "in-flight": {
      type: "string",
      default: "1",
      description: "round trips outstanding at once (1 = the study's one at a time), up to 7",
    },
  },
};

/** Options for {@linkcode restEcho}. */
export interface RestEchoOptions {
  /** Where the server is. Default: TCP 127.0.0.1:8080. */
  endpoint?: Endpoint;
  /** The variant. Default: `raw`. */
  variant?: RestVariant;
  /** Geometry of the frames sent. */
  geometry: FrameGeometry;
  /** base64/hex codec. Default: `native`. */
  encoder?: EncoderName;
  /** JPEG quality. Default: 90. */
  quality?: number;
  /** JPEG: least PSNR in dB against the frame sent. Default: {@linkcode DEFAULT_MIN_PSNR}. */
  minPsnr?: number;
  /** Round trips outstanding at once. Default: 1. */
  inFlight?: number;
  /** Seconds to wait for a reply before reporting the server gone. Default: 5. */
  timeoutSeconds?: number;
  /** Aborting it ends a wait for a reply early. */
  signal?: AbortSignal;
  /** JPEG: the frames runEcho sends, to judge the replies against. Default: a new one (the same pixels). */
  source?: FrameSource;
  /** Where JPEG verification lines go. Default: stderr. */
  progress?: (line: string) => void;
}

/** rest/jpeg.ts, loaded (with libvips) only for the jpeg variant. */
type JpegCodec = typeof import("./jpeg.ts");

/** What a variant's client does: make the request(s) and read the reply. */
interface Exchange {
  /** Sends frame `index` and resolves with the response that carries it back. */
  request(frame: Uint8Array, index: number): Promise<Response>;
  /** Reads and checks the reply to frame `index`: the frame and the index it claims. */
  reply(response: Response, index: number): Promise<{ index: number; frame: Uint8Array }>;
  /** Verifies a frame that came back, for a lossy variant (see {@linkcode EchoTransport.check}). */
  check?(frame: Uint8Array, index: number): FrameError | undefined;
  /** Figures for the result record. */
  figures(): Record<string, unknown>;
}

const FRAME_HEADERS = (geometry: FrameGeometry, index: number) => ({
  "x-frame-width": String(geometry.width),
  "x-frame-height": String(geometry.height),
  "x-frame-format": geometry.format,
  "x-frame-index": String(index),
});

/** fetch against one server, with a timeout and one-line errors. */
class HttpLink {
  readonly endpoint: string;
  readonly #base: string;
  readonly #client?: Deno.HttpClient;
  readonly #timeoutMs: number;
  readonly #signal?: AbortSignal;

  constructor(endpoint: Endpoint, timeoutSeconds: number, signal?: AbortSignal) {
    this.endpoint = endpointUrl(endpoint);
    this.#timeoutMs = timeoutSeconds * 1000;
    this.#signal = signal;
    if (endpoint.kind === "unix") {
      // fetch over a unix socket: the runtime's HTTP client connects every
      // request to the socket; the URL's host is then only the Host header.
      this.#client = Deno.createHttpClient({ proxy: { transport: "unix", path: endpoint.path } });
      this.#base = "http://localhost";
    } else {
      this.#base = this.endpoint;
    }
  }

  /** fetch(path): rejects with one line when the server is gone or too slow. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = this.#signal ? AbortSignal.any([this.#signal, timeout]) : timeout;
    try {
      const response = await fetch(this.#base + path, { ...init, signal, client: this.#client });
      if (response.ok) return response;
      // A refusal: one JSON line {"error": "..."}, counted, and the run goes on.
      const text = await response.text();
      let reason = text.trim().slice(0, 300);
      try {
        reason = JSON.parse(text).error ?? reason;
      } catch { /* not JSON: show it as it is */ }
      throw new FrameRefused(`${response.status} ${reason}`);
    } catch (error) {
      throw this.explain(error, timeout);
    }
  }

  /** Turns a fetch or body-read failure into one line. */
  explain(error: unknown, timeout?: AbortSignal): unknown {
    if (error instanceof FrameRefused) return error;
    if (this.#signal?.aborted) return new Error("interrupted while waiting for the server");
    const hint = "is `deno task rest:server` running there?";
    if (timeout?.aborted || (error as Error)?.name === "TimeoutError") {
      return new Error(
        `no reply from ${this.endpoint} within ${this.#timeoutMs / 1000} s: ${hint}`,
      );
    }
    // fetch rejects with "fetch failed" and the reason in its cause, e.g. "error
    // sending request for url (...): client error (Connect): tcp connect
    // error: Connection refused (os error 111)": keep the last clause.
    let deepest = error as Error | undefined;
    while (deepest?.cause instanceof Error) deepest = deepest.cause;
    const message = deepest?.message ?? String(error);
    const cause = message.split(": ").pop()!.replace(/ \(os error \d+\)$/, "");
    return new Error(`${this.endpoint}: ${cause}: ${hint}`);
  }

  /** Reads a response body into `scratch` (its content-length when stated). */
  async body(response: Response, scratch: Scratch): Promise<Uint8Array> {
    try {
      const length = Number(response.headers.get("content-length") ?? NaN);
      if (!Number.isSafeInteger(length) || response.body === null) return await response.bytes();
      return await scratch.readFrom(response.body, length);
    } catch (error) {
      throw this.explain(error);
    }
  }

  close(): void {
    this.#client?.close();
  }
}

function replyIndex(response: Response, index: number): number {
  const claimed = Number(response.headers.get("x-frame-index") ?? index);
  return Number.isSafeInteger(claimed) ? claimed : index;
}

/** raw: the frame as the body, back as the body. */
class RawExchange implements Exchange {
  readonly #link: HttpLink;
  readonly #geometry: FrameGeometry;
  readonly #received = new Scratch();

  constructor(link: HttpLink, geometry: FrameGeometry) {
    this.#link = link;
    this.#geometry = geometry;
  }

  request(frame: Uint8Array, index: number): Promise<Response> {
    return this.#link.fetch("/frames/raw", {
      method: "POST",
      // Copy: fetch copies the frame into the request here.
      body: frame as Uint8Array<ArrayBuffer>,
      headers: {
        "content-type": "application/octet-stream",
        ...FRAME_HEADERS(this.#geometry, index),
      },
    });
  }

  async reply(response: Response, index: number) {
    return {
      index: replyIndex(response, index),
      frame: await this.#link.body(response, this.#received),
    };
  }

  figures() {
    return {};
  }
}

/** multipart: the study's upload (a form with the frame as a file), then the download back. */
class MultipartExchange implements Exchange {
  readonly #link: HttpLink;
  readonly #geometry: FrameGeometry;
  readonly #boundary = newBoundary();
  readonly #form = new Scratch();
  readonly #received = new Scratch();
  #formBytes = 0;

  constructor(link: HttpLink, geometry: FrameGeometry) {
    this.#link = link;
    this.#geometry = geometry;
  }

  async request(frame: Uint8Array, index: number): Promise<Response> {
    const { width, height, format } = this.#geometry;
    // Copy: the frame into the form body (a reused buffer); fetch copies the form.
    const form = writeMultipart(
      this.#boundary,
      { width: String(width), height: String(height), format, index: String(index) },
      {
        name: "frame",
        filename: `frame-${index}.rgb`,
        contentType: "application/octet-stream",
        bytes: frame,
      },
      this.#form,
    );
    this.#formBytes = form.byteLength;
    const uploaded = await this.#link.fetch("/uploads", {
      method: "POST",
      body: form,
      headers: { "content-type": `multipart/form-data; boundary=${this.#boundary}` },
    });
    let location: unknown;
    try {
      location = (await uploaded.json()).location;
    } catch (error) {
      throw this.#link.explain(error);
    }
    if (typeof location !== "string" || !location.startsWith("/uploads/")) {
      throw new FrameRefused(`upload reply has no /uploads/ location: ${JSON.stringify(location)}`);
    }
    return await this.#link.fetch(location);
  }

  async reply(response: Response, index: number) {
    return {
      index: replyIndex(response, index),
      frame: await this.#link.body(response, this.#received),
    };
  }

  figures() {
    return { formBytes: this.#formBytes };
  }
}

/** base64 / hex: the frame as text in JSON, back the same way. */
class TextExchange implements Exchange {
  readonly #link: HttpLink;
  readonly #geometry: FrameGeometry;
  readonly #codec: TextCodec;
  readonly #path: string;
  readonly #message = new Scratch();
  readonly #reply = new Scratch();
  readonly #frame = new Scratch();
  #bodyBytes = 0;

  constructor(link: HttpLink, geometry: FrameGeometry, codec: TextCodec) {
    this.#link = link;
    this.#geometry = geometry;
    this.#codec = codec;
    this.#path = `/frames/${codec.encoding}?encoder=${codec.encoder}`;
  }

  request(frame: Uint8Array, index: number): Promise<Response> {
    // The frame as text (a new string), written as JSON into a reused buffer, which fetch copies.
    const body = writeFrameMessage(
      { geometry: this.#geometry, index },
      this.#codec.encode(frame),
      this.#message,
    );
    this.#bodyBytes = body.byteLength;
    return this.#link.fetch(this.#path, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
  }

  async reply(response: Response, index: number) {
    const bytes = await this.#link.body(response, this.#reply);
    try {
      const message = parseFrameMessage(bytes);
      const out = this.#frame.take(message.geometry.frameBytes);
      return { index: message.index, frame: this.#codec.decode(message.data, out) };
    } catch (error) {
      if (error instanceof HttpError || error instanceof DecodeError) {
        throw new FrameRefused(`bad reply for frame ${index}: ${error.message}`);
      }
      throw error;
    }
  }

  figures() {
    return { encoder: this.#codec.encoder, bodyBytes: this.#bodyBytes };
  }
}

/** jpeg: the frame as a base64 JPEG in JSON, back the same way, checked by PSNR. */
class JpegExchange implements Exchange {
  readonly #link: HttpLink;
  readonly #geometry: FrameGeometry;
  readonly #quality: number;
  readonly #minPsnr: number;
  readonly #source: FrameSource;
  /** The PSNR of each frame back and not yet checked, by index. */
  readonly #psnrOf = new Map<number, number>();
  readonly #progress: (line: string) => void;
  readonly #codec: JpegCodec;
  readonly #message = new Scratch();
  readonly #reply = new Scratch();
  #frames = 0;
  #jpegBytes = 0;
  #replyJpegBytes = 0;
  #psnrSum = 0;
  #psnrMin = Infinity;
  #lowPsnr = 0;

  constructor(
    link: HttpLink,
    geometry: FrameGeometry,
    options: {
      quality: number;
      minPsnr: number;
      source: FrameSource;
      progress: (line: string) => void;
      codec: JpegCodec;
    },
  ) {
    this.#codec = options.codec;
    this.#link = link;
    this.#geometry = geometry;
    this.#quality = options.quality;
    this.#minPsnr = options.minPsnr;
    this.#source = options.source;
    this.#progress = options.progress;
  }

  async request(frame: Uint8Array, index: number): Promise<Response> {
    const jpeg = await this.#codec.encodeJpeg(frame, this.#geometry, this.#quality);
    this.#jpegBytes += jpeg.byteLength;
    const text = (jpeg as unknown as { toBase64(): string }).toBase64();
    const body = writeFrameMessage(
      { geometry: this.#geometry, index, quality: this.#quality },
      text,
      this.#message,
    );
    return await this.#link.fetch("/frames/jpeg", {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
  }

  async reply(response: Response, index: number) {
    const bytes = await this.#link.body(response, this.#reply);
    let message;
    let jpeg: Uint8Array;
    try {
      message = parseFrameMessage(bytes, { jpeg: true });
      jpeg = (Uint8Array as unknown as { fromBase64(text: string): Uint8Array }).fromBase64(
        message.data,
      );
    } catch (error) {
      throw new FrameRefused(`bad reply for frame ${index}: ${(error as Error).message}`);
    }
    this.#replyJpegBytes += jpeg.byteLength;
    const decoded = await this.#codec.decodeJpeg(jpeg).catch((error) => {
      throw new FrameRefused(`bad reply for frame ${index}: ${error.message}`);
    });
    const frame = decoded.pixels;
    const { frameBytes } = this.#geometry;
    if (frame.byteLength !== frameBytes) return { index: message.index, frame }; // checkFrame: size
    // The stamps, which JPEG blurs, carry the index the reply claims, so that
    // check() counts a stale or wrong-index frame as such; the pixels are
    // judged by their PSNR against the frame sent (another frame of the
    // source scores 3-6 dB, far under any tolerance).
    writeStamp(frame, message.index);
    const body = frame.subarray(STAMP_BYTES, frameBytes - STAMP_BYTES);
    const db = psnr(body, this.#source.body(index));
    this.#psnrOf.set(index, db);
    this.#frames++;
    this.#psnrSum += Math.min(db, 99);
    this.#psnrMin = Math.min(this.#psnrMin, db);
    return { index: message.index, frame };
  }

  check(frame: Uint8Array, index: number): FrameError | undefined {
    const db = this.#psnrOf.get(index);
    this.#psnrOf.delete(index);
    const problem = checkStamps(this.#source, frame, index);
    if (problem) return problem;
    if (db !== undefined && db >= this.#minPsnr) return undefined;
    const message = db === undefined
      ? `frame ${index}: no decoded reply to judge`
      : `frame ${index}: PSNR ${db.toFixed(1)} dB against the frame sent, ` +
        `under the ${this.#minPsnr} dB tolerance`;
    if (++this.#lowPsnr <= 3) this.#progress(message);
    return { kind: "corrupt", index, message };
  }

  figures() {
    const n = Math.max(1, this.#frames);
    return {
      quality: this.#quality,
      sharp: "jpeg optimiseCoding false, chroma 4:2:0 (see rest/jpeg.ts)",
      meanJpegBytes: Math.round(this.#jpegBytes / n),
      meanReplyJpegBytes: Math.round(this.#replyJpegBytes / n),
      compression: Number((this.#geometry.frameBytes / (this.#jpegBytes / n)).toFixed(1)),
      minPsnrDb: Number(this.#psnrMin.toFixed(2)),
      meanPsnrDb: Number((this.#psnrSum / n).toFixed(2)),
      tolerancePsnrDb: this.#minPsnr,
      underTolerance: this.#lowPsnr,
    };
  }
}

/** The REST client, one round trip at a time. */
class RestEcho implements EchoTransport {
  readonly endpoint: string;
  readonly #link: HttpLink;
  readonly #exchange: Exchange;
  /** The variant's own verification (JPEG: stamps and PSNR); byte for byte otherwise. */
  readonly check?: (frame: Uint8Array, index: number) => FrameError | undefined;

  constructor(link: HttpLink, exchange: Exchange) {
    this.endpoint = link.endpoint;
    this.#link = link;
    this.#exchange = exchange;
    if (exchange.check) this.check = (frame, index) => exchange.check!(frame, index);
  }

  async roundTrip(frame: Uint8Array, index: number): Promise<Uint8Array> {
    const response = await this.#exchange.request(frame, index);
    return (await this.#exchange.reply(response, index)).frame;
  }

  /** Figures of the variant for the result record. */
  figures(): Record<string, unknown> {
    return this.#exchange.figures();
  }

  close(): void {
    this.#link.close();
  }
}

/**
 * The REST client with several round trips in flight: each request goes out
 * at once (fetch has copied its body, so the frame may be reused), the
 * runtime's pool opens one keep-alive connection per outstanding request,
 * and the replies are read in the order the frames were sent.
 */
class RestPipeline implements PipelinedTransport {
  readonly endpoint: string;
  readonly inFlight: number;
  readonly #link: HttpLink;
  readonly #exchange: Exchange;
  readonly #pending: { index: number; response: Promise<Response> }[] = [];
  /** The variant's own verification (JPEG: stamps and PSNR); byte for byte otherwise. */
  readonly check?: (frame: Uint8Array, index: number) => FrameError | undefined;

  constructor(link: HttpLink, exchange: Exchange, inFlight: number) {
    this.endpoint = link.endpoint;
    this.#link = link;
    this.#exchange = exchange;
    this.inFlight = inFlight;
    if (exchange.check) this.check = (frame, index) => exchange.check!(frame, index);
  }

  send(frame: Uint8Array, index: number): Promise<void> {
    const response = this.#exchange.request(frame, index);
    response.catch(() => {}); // seen by receive(); not an unhandled rejection meanwhile
    this.#pending.push({ index, response });
    return Promise.resolve();
  }

  async receive(): Promise<{ index: number; frame: Uint8Array }> {
    const next = this.#pending.shift();
    if (!next) throw new Error("receive() with nothing in flight");
    return await this.#exchange.reply(await next.response, next.index);
  }

  figures(): Record<string, unknown> {
    return this.#exchange.figures();
  }

  async close(): Promise<void> {
    // Let what is still in flight end (or fail) before the client goes.
    await Promise.allSettled(this.#pending.map((p) => p.response));
    this.#link.close();
  }
}

/** A REST transport for runEcho, with the figures of its variant for the record. */
export type RestTransport = (EchoTransport | PipelinedTransport) & {
  /** Figures of the variant (JPEG size and PSNR, body size) for the result record. */
  figures(): Record<string, unknown>;
};

/** Makes the client of `options.variant` for runEcho (for JPEG, with the same `options.source`). */
export async function restEcho(options: RestEchoOptions): Promise<RestTransport> {
  const link = new HttpLink(
    options.endpoint ?? { kind: "tcp", host: "127.0.0.1", port: 8080 },
    options.timeoutSeconds ?? 5,
    options.signal,
  );
  const { geometry } = options;
  const variant = options.variant ?? "raw";
  let exchange: Exchange;
  switch (variant) {
    case "raw":
      exchange = new RawExchange(link, geometry);
      break;
    case "multipart":
      exchange = new MultipartExchange(link, geometry);
      break;
    case "base64":
    case "hex":
      exchange = new TextExchange(link, geometry, textCodec(variant, options.encoder ?? "native"));
      break;
    case "jpeg": {
      exchange = new JpegExchange(link, geometry, {
        quality: options.quality ?? DEFAULT_QUALITY,
        minPsnr: options.minPsnr ?? DEFAULT_MIN_PSNR,
        source: options.source ?? new FrameSource(geometry),
        progress: options.progress ?? ((line) => console.error(line)),
        codec: await import("./jpeg.ts"),
      });
      break;
    }
  }
  const inFlight = options.inFlight ?? 1;
  return inFlight > 1 ? new RestPipeline(link, exchange, inFlight) : new RestEcho(link, exchange);
}

function only(args: readonly string[], flag: string, variants: readonly string[], variant: string) {
  if (
    !variants.includes(variant) && args.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`))
  ) {
    throw new UsageError(`--${flag} applies to --variant ${variants.join(" or ")}`);
  }
}

if (import.meta.main) {
  runMain(COMMAND.name, async (args) => {
    const { help, options, flags } = parseClientFlags(args, COMMAND);
    if (help) return console.log(usage(COMMAND, CLIENT_FLAGS));
    const variant = options.variant as RestVariant;
    const endpoint = parseEndpoint(flags, args);
    if (endpoint.kind === "tcp" && endpoint.port === 0) {
      throw new UsageError("--port must be > 0 for a client");
    }
    only(args, "encoder", ["base64", "hex"], variant);
    only(args, "quality", ["jpeg"], variant);
    only(args, "min-psnr", ["jpeg"], variant);
    const encoder = flags.encoder as string;
    if (!ENCODERS.includes(encoder as EncoderName)) {
      throw new UsageError(`--encoder must be one of ${ENCODERS.join(", ")}, got "${encoder}"`);
    }
    const quality = numberFlag("quality", flags.quality, {
      min: 1,
      inclusive: true,
      integer: true,
    });
    if (quality > 100) {
      throw new UsageError(`--quality must be at most 100, got "${flags.quality}"`);
    }
    const minPsnr = numberFlag("min-psnr", flags["min-psnr"], { min: 0, inclusive: true });
    const inFlight = numberFlag("in-flight", flags["in-flight"], {
      min: 1,
      inclusive: true,
      integer: true,
    });
    if (inFlight > 7) {
      throw new UsageError(`--in-flight must be at most 7, got "${flags["in-flight"]}"`);
    }
    const allocator = flags["default-malloc"] === true
      ? "default (--default-malloc)"
      : tuneAllocator();
    const signal = shutdownSignal();
    const source = new FrameSource(options.geometry);
    const transport = await restEcho({
      endpoint,
      variant,
      geometry: options.geometry,
      encoder: encoder as EncoderName,
      quality,
      minPsnr,
      inFlight,
      timeoutSeconds: options.timeout,
      signal,
      source,
    });
    const record = await runEcho(transport, {
      transport: "rest",
      options,
      signal,
      source,
      runtime: variant === "jpeg"
        ? runtimeInfo(["sharp"], { libvips: (await import("./jpeg.ts")).LIBVIPS_VERSION })
        : runtimeInfo(variant === "base64" || variant === "hex" ? ["byte-encodings"] : []),
    });
    const figures = { inFlight, allocator, ...transport.figures() };
    return reportResult({ ...record, rest: figures } as typeof record, options.json);
  });
}
