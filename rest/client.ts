#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-ffi --allow-env
/**
 * The REST echo client on `fetch`: sends each frame to `deno task
 * rest:server` in the chosen variant, takes the frame that comes back, and
 * verifies it.
 *
 *     deno task rest:client --variant raw|multipart|base64|hex|jpeg [--encoder native|js]
 *         [--quality 90] [--endpoint http://127.0.0.1:8080 | unix:///PATH] [--in-flight 1]
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

import { type ClientCommand, clientMain } from "../common/client_main.ts";
import type { FrameTransport, ReturnedFrame } from "../common/echo.ts";
import { type Endpoint, parseEndpoint } from "../common/endpoint.ts";
import { numberFlag, UsageError } from "../common/flags.ts";
import type { FrameGeometry } from "../common/frame.ts";
import { type RuntimeInfo, runtimeInfo } from "../common/record.ts";
import { FrameSource } from "../common/source.ts";
import type { FrameError } from "../common/verify.ts";
import { ALLOCATOR_FLAG, tuneAllocator } from "../common/allocator.ts";
import { DEFAULT_ENDPOINT, REST_ENDPOINT } from "./endpoint.ts";
import { MultipartExchange, RawExchange, TextExchange } from "./exchanges.ts";
import { type Exchange, HttpLink } from "./http_link.ts";
import { DEFAULT_MIN_PSNR, JpegExchange } from "./jpeg_exchange.ts";
import { DEFAULT_QUALITY } from "./jpeg_quality.ts";
import { type EncoderName, ENCODERS, textCodec } from "./text_codec.ts";

/** The variants, as `--variant` takes them; the first is the default. */
export const VARIANTS = ["raw", "multipart", "base64", "hex", "jpeg"] as const;
/** One variant. */
export type RestVariant = typeof VARIANTS[number];

/** Options for {@linkcode restEcho}. */
export interface RestEchoOptions {
  /** Where the server is. Default: {@linkcode DEFAULT_ENDPOINT}, TCP 127.0.0.1:8080. */
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
  /**
   * Keeps glibc's malloc settings (`--default-malloc`). Default: false: this
   * process's allocator is tuned for frame-sized buffers (common/allocator.ts).
   */
  defaultMalloc?: boolean;
}

/**
 * The REST client: each request goes out at once (fetch has copied its body,
 * so the frame may be reused), and the replies are read in the order the
 * frames were sent. With several frames in flight the runtime's pool opens one
 * keep-alive connection per outstanding request.
 */
export class RestClient implements FrameTransport {
  readonly endpoint: string;
  readonly inFlight: number;
  /** Versions of what the variant loaded, for the result record. */
  readonly runtime: RuntimeInfo;
  /** The variant's own verification (JPEG: stamps and PSNR); byte for byte otherwise. */
  readonly check?: (frame: Uint8Array, index: number) => FrameError | undefined;
  readonly #link: HttpLink;
  readonly #exchange: Exchange;
  readonly #allocator: string;
  readonly #pending: { index: number; response: Promise<Response> }[] = [];

  constructor(
    link: HttpLink,
    exchange: Exchange,
    options: { inFlight: number; allocator: string; runtime: RuntimeInfo },
  ) {
    this.endpoint = link.endpoint;
    this.#link = link;
    this.#exchange = exchange;
    this.inFlight = options.inFlight;
    this.#allocator = options.allocator;
    this.runtime = options.runtime;
    if (exchange.check) this.check = (frame, index) => exchange.check!(frame, index);
  }

  send(frame: Uint8Array, index: number): Promise<void> {
    const response = this.#exchange.request(frame, index);
    response.catch(() => {}); // seen by receive(); not an unhandled rejection meanwhile
    this.#pending.push({ index, response });
    return Promise.resolve();
  }

  async receive(): Promise<ReturnedFrame> {
    const next = this.#pending.shift();
    if (!next) throw new Error("receive() with nothing in flight");
    return await this.#exchange.reply(await next.response, next.index);
  }

  /** Figures for the result record: frames in flight, the allocator, the variant's (JPEG size and PSNR, body size). */
  figures(): Record<string, unknown> {
    return { inFlight: this.inFlight, allocator: this.#allocator, ...this.#exchange.figures() };
  }

  async close(): Promise<void> {
    // Let what is still in flight end (or fail) before the client goes.
    await Promise.allSettled(this.#pending.map((p) => p.response));
    this.#link.close();
  }
}

/** Makes the client of `options.variant` for runEcho (for JPEG, with the same `options.source`). */
export async function restEcho(options: RestEchoOptions): Promise<RestClient> {
  const allocator = options.defaultMalloc ? "default (--default-malloc)" : tuneAllocator();
  const link = new HttpLink(
    options.endpoint ?? parseEndpoint(DEFAULT_ENDPOINT, REST_ENDPOINT.kinds),
    options.timeoutSeconds ?? 5,
    options.signal,
  );
  const { geometry } = options;
  const variant = options.variant ?? "raw";
  let exchange: Exchange;
  let runtime = runtimeInfo([]);
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
      runtime = runtimeInfo(["byte-encodings"]);
      break;
    case "jpeg": {
      const codec = await import("./jpeg.ts");
      exchange = new JpegExchange(link, geometry, {
        quality: options.quality ?? DEFAULT_QUALITY,
        minPsnr: options.minPsnr ?? DEFAULT_MIN_PSNR,
        source: options.source ?? new FrameSource(geometry),
        progress: options.progress ?? ((line) => console.error(line)),
        codec,
      });
      runtime = runtimeInfo(["sharp"], { libvips: codec.LIBVIPS_VERSION });
      break;
    }
  }
  return new RestClient(link, exchange, { inFlight: options.inFlight ?? 1, allocator, runtime });
}

/** The client's own flags, read for `variant`: each variant's flags only with it. */
export function restFlags(
  variant: RestVariant,
  flags: Record<string, string | boolean | undefined>,
): Pick<RestEchoOptions, "encoder" | "quality" | "minPsnr" | "inFlight" | "defaultMalloc"> {
  const only = (flag: string, variants: readonly RestVariant[]) => {
    if (flags[flag] !== undefined && !variants.includes(variant)) {
      throw new UsageError(`--${flag} applies to --variant ${variants.join(" or ")}`);
    }
  };
  only("encoder", ["base64", "hex"]);
  only("quality", ["jpeg"]);
  only("min-psnr", ["jpeg"]);
  const given = flags.encoder ?? "native";
  const encoder = ENCODERS.find((name) => name === given);
  if (encoder === undefined) {
    throw new UsageError(`--encoder must be one of ${ENCODERS.join(", ")}, got "${given}"`);
  }
  const quality = numberFlag("quality", flags.quality ?? String(DEFAULT_QUALITY), {
    min: 1,
    inclusive: true,
    integer: true,
  });
  if (quality > 100) {
    throw new UsageError(`--quality must be at most 100, got "${flags.quality}"`);
  }
  const minPsnr = numberFlag("min-psnr", flags["min-psnr"] ?? String(DEFAULT_MIN_PSNR), {
    min: 0,
    inclusive: true,
  });
  const inFlight = numberFlag("in-flight", flags["in-flight"], {
    min: 1,
    inclusive: true,
    integer: true,
  });
  if (inFlight > 7) {
    throw new UsageError(`--in-flight must be at most 7, got "${flags["in-flight"]}"`);
  }
  return { encoder, quality, minPsnr, inFlight, defaultMalloc: flags["default-malloc"] === true };
}

const COMMAND: ClientCommand<RestVariant, RestClient> = {
  name: "rest:client",
  transport: "rest",
  summary: "Sends frames to `deno task rest:server` over HTTP and verifies the echo.",
  variants: VARIANTS,
  endpoint: REST_ENDPOINT,
  flags: {
    encoder: {
      type: "string",
      description: `base64/hex codec: ${ENCODERS.join(" (built into Deno), ")} (pure JS)` +
        " (default native)",
    },
    quality: { type: "string", description: `JPEG quality, 1-100 (default ${DEFAULT_QUALITY})` },
    "min-psnr": {
      type: "string",
      description: "JPEG: least PSNR (dB) of a returned frame against the one sent" +
        ` (default ${DEFAULT_MIN_PSNR})`,
    },
    ...ALLOCATOR_FLAG,
    "in-flight": {
      type: "string",
      default: "1",
      description: "round trips outstanding at once (1 = the study's one at a time), up to 7",
    },
  },
  connect: ({ options, endpoint, flags, signal, source }) =>
    restEcho({
      endpoint,
      variant: options.variant,
      geometry: options.geometry,
      ...restFlags(options.variant, flags),
      timeoutSeconds: options.timeout,
      signal,
      source,
    }),
  runtime: (_, transport) => transport.runtime,
  figures: (transport) => transport.figures(),
};

if (import.meta.main) clientMain(COMMAND);
