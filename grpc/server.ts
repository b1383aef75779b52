#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env
/**
 * The gRPC echo server: `FrameEcho` of ../proto/frames.proto, TCP
 * 127.0.0.1:50051 by default or a unix socket, on framebench's own HTTP/2
 * (`--impl lean`, the default: ./lean_server.ts) or on grpc-js (`--impl js`,
 * this file). `Echo` sends each frame
 * straight back; `EchoStream` sends every message (a frame or a chunk of one)
 * back as it comes. A message with more than `--max-bytes` pixel bytes gets
 * RESOURCE_EXHAUSTED, a malformed one INVALID_ARGUMENT, a call of a method the
 * service lacks UNIMPLEMENTED; each is counted and the server goes on.
 *
 *     deno task grpc:server [--impl lean|js] [--endpoint tcp://127.0.0.1:50051 | unix:///PATH]
 *                           [--max-bytes N]
 *
 * Copies of a frame with grpc-js: it gathers the HTTP/2 DATA frames of a message into
 * one buffer (copy 1: its message boundaries do not follow the DATA frames);
 * decoding (./frame_codec.ts) gives the pixels as a view of it; the reply is
 * that very buffer, not encoded again (no copy); grpc-js copies it behind its
 * 5-byte message header (copy 2: it frames every message into a new buffer)
 * before HTTP/2 writes it out. Below grpc-js, Deno's node:http2 copies the
 * bytes into and out of its HTTP/2 session in 16 KiB DATA frames; none of
 * those copies is ours to remove (grpc/README.md has the measurements).
 *
 * @module
 */

import * as grpc from "@grpc/grpc-js";
import type { Endpoint } from "../common/endpoint.ts";
import { maxBytesFlag, numberFlag, UsageError } from "../common/flags.ts";
import { aborted, listenUnix } from "../common/listen.ts";
import { ServerStats } from "../common/server.ts";
import { type ServerCommand, serverMain } from "../common/server_main.ts";
import {
  FLOW_CONTROL_WINDOW_BYTES,
  parseWindow,
  serverOptions,
  widenServerWindow,
  WINDOW_FLAG,
} from "./channel_options.ts";
import { DEFAULT_ENDPOINT, defaultEndpoint, ENDPOINT_KINDS, grpcTarget } from "./endpoint.ts";
import { checkPixelLimit, checkWholeFrame, FrameSequence } from "./frame_message.ts";
import { IMPL_FLAG, parseImpl } from "./impl.ts";
import { serveLean } from "./lean_server.ts";
import { DEFAULT_MAX_BYTES } from "./service_paths.ts";
import { countRefusals, countUnknownCalls } from "./refusals.ts";
import {
  CODEC_FLAG,
  type CodecName,
  frameEchoService,
  type FrameMessage,
  parseCodec,
  quietGrpcLog,
} from "./service.ts";

export { DEFAULT_MAX_BYTES };

/** Options for {@linkcode serveGrpc}. */
export interface GrpcServerOptions {
  /** Where to listen. Default: TCP 127.0.0.1:50051. */
  endpoint?: Endpoint;
  /** Most pixel bytes in one message. Default: one 4K rgb24 frame. */
  maxBytes?: number;
  /** Message codec. Default: `frame`. */
  codec?: CodecName;
  /** HTTP/2 flow-control window, bytes. Default: {@linkcode FLOW_CONTROL_WINDOW_BYTES}. */
  window?: number;
  /** Stops the server when aborted. */
  signal: AbortSignal;
}

function echoUnary(
  stats: ServerStats,
  maxBytes: number,
): grpc.handleUnaryCall<FrameMessage, FrameMessage> {
  return (call, callback) => {
    const over = checkPixelLimit(call.request, maxBytes);
    if (over) {
      callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: over });
      return;
    }
    const problem = checkWholeFrame(call.request);
    if (problem) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: problem });
      return;
    }
    stats.frames++;
    // The echo: the decoded message goes back as it is; the frame codec sends
    // the bytes it was decoded from (no copy; protobufjs would encode it again).
    callback(null, call.request);
  };
}

function echoStream(
  stats: ServerStats,
  maxBytes: number,
): grpc.handleBidiStreamingCall<FrameMessage, FrameMessage> {
  return (call) => {
    const sequence = new FrameSequence();
    let failed = false;
    call.on("data", (message: FrameMessage) => {
      if (failed) return;
      const over = checkPixelLimit(message, maxBytes);
      const problem = over ?? sequence.accept(message);
      if (problem) {
        failed = true;
        const code = over ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.INVALID_ARGUMENT;
        call.emit("error", { code, details: problem });
        return;
      }
      // Each message goes back as it came, no reassembly: the client puts
      // chunks back together. Back-pressure: stop reading while the reply
      // cannot be written.
      if (!call.write(message)) {
        call.pause();
        call.once("drain", () => call.resume());
      }
      if (sequence.frameDone) stats.frames++;
    });
    call.on("end", () => {
      if (!failed) call.end();
    });
    // A client that goes away cancels the call: nothing to do but stop.
    call.on("error", () => {});
  };
}

/**
 * Binds `server` to `target` (as grpc-js names it) and resolves to the port
 * taken; rejects with one line when it cannot (in use).
 */
async function bind(server: grpc.Server, target: string, url: string): Promise<number> {
  const { promise, resolve, reject } = Promise.withResolvers<number>();
  server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error) {
      const inUse = /EADDRINUSE|address already in use|No address added/i.test(error.message);
      reject(
        new Error(
          inUse
            ? `${url} is in use by another server`
            : `cannot listen on ${url}: ${error.message.split("\n")[0]}`,
        ),
      );
    } else {
      resolve(port);
    }
  });
  return await promise;
}

/**
 * Serves until `signal` aborts, then cancels the calls in progress, closes
 * the listener, removes a unix socket file, and returns what it served.
 * Throws, before serving, when the endpoint is in use.
 */
export async function serveGrpc(options: GrpcServerOptions): Promise<ServerStats> {
  const endpoint = options.endpoint ?? defaultEndpoint();
  const stats = new ServerStats("grpc");
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const server = new grpc.Server({
    ...serverOptions(maxBytes),
    interceptors: [countRefusals(stats)],
  });
  const service = frameEchoService(options.codec);
  server.addService(service, {
    Echo: echoUnary(stats, maxBytes),
    EchoStream: echoStream(stats, maxBytes),
  });
  let removeSocketFile: (() => void) | undefined;
  const window = options.window ?? FLOW_CONTROL_WINDOW_BYTES;
  const widened = widenServerWindow(server, "settings", window);
  try {
    let url = endpoint.url;
    if (endpoint.kind === "unix") {
      removeSocketFile = (await listenUnix(endpoint, (at) => bind(server, `unix://${at}`, url)))
        .remove;
    } else {
      const port = await bind(server, grpcTarget(endpoint), url);
      url = url.replace(/:\d+$/, `:${port}`);
    }
    const paths = Object.values(service).map((method) => method.path);
    if (!countUnknownCalls(server, paths, stats)) {
      console.error(
        "grpc:server: cannot watch for calls of unknown methods (grpc-js internals changed): they go uncounted",
      );
    }
    if (!widened || !widenServerWindow(server, "sessions", window)) {
      console.error(
        "grpc:server: cannot widen the HTTP/2 flow-control window (grpc-js internals changed): frames will be slower",
      );
    }
    stats.ready(url);
    await aborted(options.signal);
  } finally {
    // Calls in progress (a client streaming frames) are cancelled: their
    // clients see the server go.
    server.forceShutdown();
    removeSocketFile?.();
  }
  stats.stopped();
  return stats;
}

const COMMAND: ServerCommand = {
  name: "grpc:server",
  summary: "Echoes frames over gRPC (unary Echo, bidirectional EchoStream) until Ctrl-C.",
  endpoint: { default: DEFAULT_ENDPOINT, kinds: ENDPOINT_KINDS },
  flags: {
    ...IMPL_FLAG,
    ...CODEC_FLAG,
    ...WINDOW_FLAG,
    ...maxBytesFlag(
      DEFAULT_MAX_BYTES,
      "most pixel bytes in one message; a larger one gets RESOURCE_EXHAUSTED",
    ),
  },
  async serve({ endpoint, flags, signal }) {
    quietGrpcLog();
    const impl = parseImpl(flags.impl);
    const maxBytes = numberFlag("max-bytes", flags["max-bytes"], { integer: true });
    const codec = parseCodec(flags.codec);
    const window = parseWindow(flags.window);
    if (impl === "lean") {
      if (codec !== "frame") throw new UsageError("--codec protobufjs needs --impl js");
      await serveLean({ endpoint, maxBytes, window, signal });
    } else {
      await serveGrpc({ endpoint, maxBytes, codec, window, signal });
    }
  },
};

if (import.meta.main) serverMain(COMMAND);
