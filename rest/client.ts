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
import { type FrameTransport, reportResult, type ReturnedFrame, runEcho } from "../common/echo.ts";
import {
  CLIENT_FLAGS,
  type ClientSpec,
  numberFlag,
  parseClientFlags,
  usage,
  UsageError,
} from "../common/flags.ts";
import type { FrameGeometry } from "../common/frame.ts";
import { runtimeInfo } from "../common/record.ts";
import { FrameSource } from "../common/source.ts";
import type { FrameError } from "../common/verify.ts";
import { ALLOCATOR_FLAG, tuneAllocator } from "./allocator.ts";
import { type Endpoint, ENDPOINT_FLAGS, parseEndpoint } from "./endpoint.ts";
import { MultipartExchange, RawExchange, TextExchange } from "./exchanges.ts";
import { type Exchange, HttpLink } from "./http_link.ts";
import { DEFAULT_MIN_PSNR, JpegExchange } from "./jpeg_exchange.ts";
import { DEFAULT_QUALITY } from "./jpeg_quality.ts";
import { type EncoderName, ENCODERS, textCodec } from "./text_codec.ts";

/** The variants, as `--variant` takes them; the first is the default. */
export const VARIANTS = ["raw", "multipart", "base64", "hex", "jpeg"] as const;
/** One variant. */
export type RestVariant = typeof VARIANTS[number];

const COMMAND: ClientSpec<RestVariant> = {
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

/**
 * The REST client: each request goes out at once (fetch has copied its body,
 * so the frame may be reused), and the replies are read in the order the
 * frames were sent. With several frames in flight the runtime's pool opens one
 * keep-alive connection per outstanding request.
 */
class RestClient implements FrameTransport {
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

  async receive(): Promise<ReturnedFrame> {
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
export type RestTransport = FrameTransport & {
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
  return new RestClient(link, exchange, options.inFlight ?? 1);
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
    const { variant } = options;
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
