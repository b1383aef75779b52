/**
 * The gRPC echo server on framebench's own HTTP/2 (`--impl lean`): the same
 * `FrameEcho` service, refusals and statuses as the grpc-js server
 * (./server.ts), over `Deno.listen` and ./http2_connection.ts. This file
 * accepts connections and turns away what is not a call of `FrameEcho`; one
 * call is ./lean_server_call.ts.
 *
 * Copies of a frame: none of ours. The request's DATA payload is read from
 * the socket straight into a message buffer (./message_reader.ts; only the
 * few KiB that a frame header read brought along are copied out of the
 * staging buffer), decoded in place (./frame_codec.ts: the pixels are a view),
 * and that same buffer is written back as the reply's DATA payload behind a
 * 5-byte prefix and a 9-byte frame header (./socket_writer.ts copies only
 * those small parts, to send them in one write).
 *
 * @module
 */

import type { Endpoint } from "../common/endpoint.ts";
import { aborted, listenStream } from "../common/listen.ts";
import { ServerStats } from "../common/server.ts";
import {
  FLOW_CONTROL_WINDOW_BYTES,
  KEEPALIVE_TIME_MS,
  KEEPALIVE_TIMEOUT_MS,
} from "./channel_options.ts";
import { defaultEndpoint } from "./endpoint.ts";
import { FrameCodec } from "./frame_codec.ts";
import { MESSAGE_OVERHEAD_BYTES } from "./frame_message.ts";
import { encodeGrpcMessage, parseTimeout, Status } from "./grpc_status.ts";
import type { HeaderField } from "./hpack.ts";
import { ErrorCode } from "./http2_frames.ts";
import { Http2Connection, type Http2Stream } from "./http2_connection.ts";
import {
  type CallContext,
  inProgressBudget,
  Reservations,
  RESPONSE_HEADERS,
  ServerCall,
} from "./lean_server_call.ts";
import { BufferPool } from "./message_reader.ts";
import { DEFAULT_MAX_BYTES, ECHO_PATH, ECHO_STREAM_PATH } from "./service_paths.ts";

/** Options for {@linkcode serveLean}. */
export interface LeanServerOptions {
  /** Where to listen. Default: TCP 127.0.0.1:50051. */
  endpoint?: Endpoint;
  /** Most pixel bytes in one message. Default: {@linkcode DEFAULT_MAX_BYTES} (one 4K rgb24 frame). */
  maxBytes?: number;
  /** HTTP/2 flow-control window, bytes. Default: {@linkcode FLOW_CONTROL_WINDOW_BYTES}. */
  window?: number;
  /** Stops the server when aborted. */
  signal: AbortSignal;
}

/**
 * Answers a request that is not a gRPC call of one of `paths` (by default
 * `FrameEcho`'s); returns true when it did.
 */
export function refuseRequest(
  c: Http2Connection,
  stream: Http2Stream,
  headers: Map<string, string>,
  stats: ServerStats,
  paths: readonly string[] = [ECHO_PATH, ECHO_STREAM_PATH],
): boolean {
  const type = headers.get("content-type") ?? "";
  const path = headers.get(":path") ?? "";
  const respond = (fields: HeaderField[]) => {
    c.sendHeaders(stream, fields, true).catch(() => {});
    if (!stream.remoteEnded) c.resetStream(stream, ErrorCode.NO_ERROR);
  };
  if (headers.get(":method") !== "POST" || !type.startsWith("application/grpc")) {
    stats.refuse(`not a gRPC request (content-type ${JSON.stringify(type.slice(0, 60))})`);
    respond([[":status", headers.get(":method") !== "POST" ? "405" : "415"]]);
    return true;
  }
  const encoding = headers.get("grpc-encoding");
  if (!paths.includes(path)) {
    stats.refuse(`UNIMPLEMENTED: no method ${JSON.stringify(path.slice(0, 100))}`);
    respond([
      ...RESPONSE_HEADERS,
      ["grpc-status", String(Status.UNIMPLEMENTED)],
      [
        "grpc-message",
        encodeGrpcMessage(`The server does not implement the method ${path.slice(0, 200)}`),
      ],
    ]);
    return true;
  }
  if (encoding !== undefined && encoding !== "identity") {
    const details = `grpc-encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported`;
    stats.refuse(`UNIMPLEMENTED: ${details}`);
    respond([
      ...RESPONSE_HEADERS,
      ["grpc-status", String(Status.UNIMPLEMENTED)],
      ["grpc-message", encodeGrpcMessage(details)],
      ["grpc-accept-encoding", "identity"],
    ]);
    return true;
  }
  return false;
}

/**
 * Serves until `signal` aborts, then closes the listener, removes a unix
 * socket file, cancels the calls in progress, and returns what it served.
 * Throws, before serving, when the endpoint is in use.
 */
export async function serveLean(options: LeanServerOptions): Promise<ServerStats> {
  const endpoint = options.endpoint ?? defaultEndpoint();
  const window = options.window ?? FLOW_CONTROL_WINDOW_BYTES;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const { listener, url, close } = await listenStream(endpoint);
  const stats = new ServerStats("grpc");
  const ctx: CallContext = { stats, maxBytes, codec: new FrameCodec(), pool: new BufferPool() };
  const maxMessage = maxBytes + MESSAGE_OVERHEAD_BYTES;
  const connections = new Set<Http2Connection>();
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        if (endpoint.kind === "tcp") (conn as Deno.TcpConn).setNoDelay(true);
        const reservations = new Reservations(inProgressBudget(maxMessage));
        const c: Http2Connection = new Http2Connection(conn, {
          role: "server",
          window,
          // Enough for the largest message in progress and a window's worth held.
          heldBudget: Math.max(window, maxMessage + (1 << 20)),
          keepaliveMs: KEEPALIVE_TIME_MS,
          keepaliveTimeoutMs: KEEPALIVE_TIMEOUT_MS,
          onStream(stream, fields, endStream) {
            const headers = new Map(fields);
            if (refuseRequest(c, stream, headers, stats)) return;
            const unary = headers.get(":path") === ECHO_PATH;
            const call = new ServerCall(c, stream, ctx, unary, reservations);
            const timeout = parseTimeout(headers.get("grpc-timeout") ?? "");
            if (timeout !== undefined) call.deadline(timeout);
            if (endStream) stream.events.onEnd();
          },
        });
        connections.add(c);
        c.closed.then(() => connections.delete(c));
        c.start();
      }
    } catch { /* the listener was closed */ }
  })();
  try {
    stats.ready(url);
    await aborted(options.signal);
  } finally {
    close();
    await accepting;
    // Calls in progress (a client streaming frames) are cancelled: their
    // clients see the server go.
    // (No GOAWAY: see Http2Connection.cancelAndClose.)
    await Promise.all([...connections].map((c) => c.cancelAndClose("the server is stopping")));
  }
  stats.stopped();
  return stats;
}
