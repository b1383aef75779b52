#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env
/**
 * The gRPC echo client: sends frames to `deno task grpc:server` and verifies
 * every frame that comes back.
 *
 *     deno task grpc:client [--variant unary|stream] [--in-flight N] [--chunk-bytes N]
 *                           [--endpoint tcp://127.0.0.1:50051 | unix:///PATH] [--size 1080p] [--json]
 *
 * - `unary`: one `Echo` call per frame, each with a deadline of `--timeout`
 *   seconds; `--in-flight N` keeps N calls going at once (default 1, as in
 *   the original study).
 * - `stream`: one `EchoStream` call carries every frame; `--in-flight N`
 *   frames are sent ahead of the replies (default {@linkcode DEFAULT_STREAM_IN_FLIGHT});
 *   `--chunk-bytes N` sends each frame as messages of N pixel bytes, which
 *   the client puts back together and verifies whole. A stream has no end
 *   time to set as its deadline: a reply that does not come within
 *   `--timeout` seconds cancels the call and ends the run instead.
 *
 * Copies of a frame on the way out: encoding (./frame_codec.ts) copies the
 * pixels once into a message buffer of the exact size (copy 1: grpc-js takes
 * a message as one buffer), grpc-js copies that behind its 5-byte message
 * header (copy 2). On the way back: grpc-js gathers the DATA frames of a
 * message into one buffer (copy 3), decoding gives the pixels as a view of it,
 * verified in place. Chunked mode adds one: each chunk is copied into the
 * frame being put back together (copy 4). Deno's node:http2 copies below that.
 *
 * @module
 */

import * as grpc from "@grpc/grpc-js";
import { type ClientCommand, clientMain } from "../common/client_main.ts";
import { FrameRefused, type FrameTransport, type ReturnedFrame } from "../common/echo.ts";
import type { Endpoint } from "../common/endpoint.ts";
import { numberFlag, UsageError } from "../common/flags.ts";
import { runtimeInfo } from "../common/record.ts";
import { clientOptions, parseWindow, WINDOW_FLAG } from "./channel_options.ts";
import { DEFAULT_STREAM_IN_FLIGHT, EchoBase, type EchoOptions, noAnswer } from "./echo_options.ts";
import { DEFAULT_ENDPOINT, ENDPOINT_KINDS, grpcTarget } from "./endpoint.ts";
import { FrameAssembly } from "./frame_assembly.ts";
import { IMPL_FLAG, parseImpl } from "./impl.ts";
import { LeanStreamEcho, LeanUnaryEcho } from "./lean_client.ts";
import {
  CODEC_FLAG,
  type CodecName,
  frameEchoClient,
  frameEchoService,
  type FrameMessage,
  parseCodec,
  quietGrpcLog,
} from "./service.ts";

export { DEFAULT_STREAM_IN_FLIGHT };

/** The variants of the client. */
export const VARIANTS = ["unary", "stream"] as const;
/** A variant of the client. */
export type Variant = typeof VARIANTS[number];

/** Options for {@linkcode GrpcUnaryEcho} and {@linkcode GrpcStreamEcho}. */
export interface GrpcEchoOptions extends EchoOptions {
  /** Message codec. Default: `frame`. */
  codec?: CodecName;
}

/** The one-line error for a call that ended with `error`. */
function callError(error: grpc.ServiceError, endpoint: Endpoint, timeoutSeconds: number): Error {
  // grpc-js appends an empty "Resolution note: " to connection errors.
  const details = (error.details || error.message).replace(/\.? Resolution note: ?$/, "");
  // A connection that broke shows as UNAVAILABLE, or as INTERNAL when it
  // broke while grpc-js was writing (EPIPE): either way, the server is gone.
  const broken = error.code === grpc.status.UNAVAILABLE ||
    (error.code === grpc.status.INTERNAL && /EPIPE|ECONNRESET|socket hang up/.test(details));
  if (broken) {
    return new Error(
      `the server at ${endpoint.url} is unreachable or gone (${details}): is \`deno task grpc:server\` running there?`,
    );
  }
  switch (error.code) {
    case grpc.status.RESOURCE_EXHAUSTED:
    case grpc.status.INVALID_ARGUMENT:
      return new FrameRefused(`${grpc.status[error.code]}: ${details}`);
    case grpc.status.CANCELLED:
      return new Error(
        `the server at ${endpoint.url} cancelled the call (${details}): was it stopped?`,
      );
    case grpc.status.DEADLINE_EXCEEDED:
      return new Error(
        `no reply from ${endpoint.url} within ${timeoutSeconds} s (deadline exceeded)`,
      );
    default:
      return new Error(`${grpc.status[error.code] ?? error.code} from ${endpoint.url}: ${details}`);
  }
}

/** A promise that has a rejection handler, so that a failure before anyone awaits it is not unhandled. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** A grpc-js client of the `FrameEcho` service at `target`. */
function serviceClient(
  target: Endpoint,
  options: GrpcEchoOptions,
): grpc.Client & Record<string, unknown> {
  const Client = frameEchoClient(frameEchoService(options.codec));
  return new Client(
    grpcTarget(target),
    grpc.credentials.createInsecure(),
    clientOptions(options.geometry.frameBytes, options.window),
  );
}

/** One `Echo` call per frame, up to `inFlight` at once. */
export class GrpcUnaryEcho extends EchoBase implements FrameTransport {
  readonly #client: grpc.Client & Record<string, unknown>;
  readonly #calls: Promise<ReturnedFrame>[] = [];

  constructor(options: GrpcEchoOptions) {
    super(options, false);
    this.#client = serviceClient(this.settings.target, options);
  }

  send(frame: Uint8Array, index: number): Promise<void> {
    const [message] = this.messages(frame, index);
    const deadline = Date.now() + this.settings.timeoutSeconds * 1000;
    const echo = this.#client.Echo as (
      m: FrameMessage,
      o: grpc.CallOptions,
      cb: (e: grpc.ServiceError | null, r?: FrameMessage) => void,
    ) => grpc.ClientUnaryCall;
    this.#calls.push(handled(
      new Promise((resolve, reject) => {
        echo.call(this.#client, message, { deadline }, (error, reply) => {
          if (error) reject(callError(error, this.settings.target, this.settings.timeoutSeconds));
          else resolve({ index: reply!.index, frame: reply!.pixels });
        });
      }),
    ));
    return Promise.resolve();
  }

  receive(): Promise<ReturnedFrame> {
    const call = this.#calls.shift();
    if (!call) return Promise.reject(new Error("receive() with no frame in flight"));
    return call;
  }

  close(): void {
    this.#client.close();
  }
}

/** One `EchoStream` call and the replies it has brought so far. */
interface StreamCall {
  call: grpc.ClientDuplexStream<FrameMessage, FrameMessage>;
  /** Replies not yet taken by receive(). */
  replies: FrameMessage[];
  /** How the call ended, once it did with an error. */
  failure?: Error;
  /** True once the server ended the call. */
  ended: boolean;
  /** Wakes a receive() or send() that waits on this call. */
  wake?: () => void;
}

/** One `EchoStream` call carrying every frame, `inFlight` frames ahead of the replies. */
export class GrpcStreamEcho extends EchoBase implements FrameTransport {
  readonly #client: grpc.Client & Record<string, unknown>;
  #current?: StreamCall;
  /** The call each frame in flight was sent on, oldest first. */
  readonly #sentOn: StreamCall[] = [];
  /** Chunked mode: where a frame is put back together. */
  #assembly?: FrameAssembly;

  constructor(options: GrpcEchoOptions) {
    super(options, true);
    this.#client = serviceClient(this.settings.target, options);
  }

  #open(): StreamCall {
    const start = this.#client.EchoStream as () => grpc.ClientDuplexStream<
      FrameMessage,
      FrameMessage
    >;
    const call = start.call(this.#client);
    const state: StreamCall = { call, replies: [], ended: false };
    const wake = () => {
      const w = state.wake;
      state.wake = undefined;
      w?.();
    };
    call.on("data", (reply: FrameMessage) => {
      state.replies.push(reply);
      wake();
    });
    call.on("error", (error: grpc.ServiceError) => {
      state.failure = callError(error, this.settings.target, this.settings.timeoutSeconds);
      wake();
    });
    call.on("end", () => {
      state.ended = true;
      wake();
    });
    call.on("drain", wake);
    return state;
  }

  /** Waits until `state` wakes (a reply, drain, end or error) or the reply timeout passes. */
  async #wait(state: StreamCall, what: string): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<boolean>();
    state.wake = () => resolve(true);
    const timer = setTimeout(() => resolve(false), this.settings.timeoutSeconds * 1000);
    const woken = await promise;
    clearTimeout(timer);
    if (!woken) {
      state.call.cancel();
      throw noAnswer(what, this.endpoint, this.settings.timeoutSeconds);
    }
  }

  async send(frame: Uint8Array, index: number): Promise<void> {
    // A call that ended (the server refused a message) is replaced by a new one.
    if (!this.#current || this.#current.failure || this.#current.ended) {
      this.#current = this.#open();
    }
    const state = this.#current;
    this.#sentOn.push(state);
    for (const message of this.messages(frame, index)) {
      // write() returning false asks to wait for "drain" before more.
      if (!state.call.write(message)) {
        while (state.call.writableNeedDrain && !state.failure && !state.ended) {
          await this.#wait(state, "progress");
        }
      }
      if (state.failure || state.ended) break;
    }
  }

  /** The next reply on `state`, waiting for it; throws when the call ended first. */
  async #next(state: StreamCall): Promise<FrameMessage> {
    while (state.replies.length === 0) {
      if (state.failure) throw state.failure;
      if (state.ended) throw new Error(`${this.endpoint} ended the stream with frames in flight`);
      await this.#wait(state, "reply");
    }
    return state.replies.shift()!;
  }

  async receive(): Promise<ReturnedFrame> {
    const state = this.#sentOn.shift();
    if (!state) throw new Error("receive() with no frame in flight");
    const first = await this.#next(state);
    if (first.frameBytes === 0) return { index: first.index, frame: first.pixels };
    // Chunked: put the frame back together (the copy of chunked mode).
    this.#assembly ??= new FrameAssembly(this.settings.geometry.frameBytes, this.endpoint);
    for (let chunk = first; !this.#assembly.add(chunk);) chunk = await this.#next(state);
    return { index: first.index, frame: this.#assembly.frame };
  }

  close(): void {
    this.#current?.call.end();
    this.#client.close();
  }
}

/** Reads `--in-flight` and `--chunk-bytes` for `variant`; throws {@linkcode UsageError}. */
export function streamFlags(
  variant: string,
  flags: Record<string, string | boolean | undefined>,
): { inFlight?: number; chunkBytes?: number } {
  const inFlight = flags["in-flight"] === undefined
    ? undefined
    : numberFlag("in-flight", flags["in-flight"], { integer: true });
  const chunkBytes = flags["chunk-bytes"] === undefined
    ? undefined
    : numberFlag("chunk-bytes", flags["chunk-bytes"], { integer: true });
  if (chunkBytes !== undefined && variant !== "stream") {
    throw new UsageError("--chunk-bytes needs --variant stream");
  }
  return { inFlight, chunkBytes };
}

const COMMAND: ClientCommand = {
  name: "grpc:client",
  transport: "grpc",
  summary: "Sends frames to `deno task grpc:server` over gRPC and verifies the echo.",
  variants: VARIANTS,
  endpoint: { default: DEFAULT_ENDPOINT, kinds: ENDPOINT_KINDS },
  flags: {
    ...IMPL_FLAG,
    ...CODEC_FLAG,
    ...WINDOW_FLAG,
    "in-flight": {
      type: "string",
      description:
        `frames sent ahead of the replies (default 1 unary, ${DEFAULT_STREAM_IN_FLIGHT} stream)`,
    },
    "chunk-bytes": {
      type: "string",
      description: "stream: send each frame as messages of this many pixel bytes",
    },
  },
  connect({ options, endpoint, flags }) {
    quietGrpcLog();
    const stream = options.variant === "stream";
    const transportOptions: GrpcEchoOptions = {
      endpoint,
      geometry: options.geometry,
      ...streamFlags(options.variant, flags),
      timeoutSeconds: options.timeout,
      codec: parseCodec(flags.codec),
      window: parseWindow(flags.window),
    };
    if (parseImpl(flags.impl) === "js") {
      return Promise.resolve(
        stream ? new GrpcStreamEcho(transportOptions) : new GrpcUnaryEcho(transportOptions),
      );
    }
    if (transportOptions.codec !== "frame") {
      throw new UsageError("--codec protobufjs needs --impl js");
    }
    return Promise.resolve(
      stream ? new LeanStreamEcho(transportOptions) : new LeanUnaryEcho(transportOptions),
    );
  },
  runtime: ({ flags }) =>
    parseImpl(flags.impl) === "lean"
      ? runtimeInfo([], { "grpc implementation": "lean (framebench's own HTTP/2)" })
      : runtimeInfo(["@grpc/grpc-js", "@grpc/proto-loader"]),
};

if (import.meta.main) clientMain(COMMAND);
