/**
 * The gRPC echo server on framebench's own HTTP/2 (`--impl lean`): the same
 * `FrameEcho` service, refusals and statuses as the grpc-js server
 * (./server.ts), over `Deno.listen` and ./http2_connection.ts.
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

import { Buffer } from "node:buffer";
import { removeOnExit } from "../common/cleanup.ts";
import { ServerStats } from "../common/server.ts";
import { listenPrivately, unixSocketInUse } from "../common/unix_socket.ts";
import {
  FLOW_CONTROL_WINDOW_BYTES,
  KEEPALIVE_TIME_MS,
  KEEPALIVE_TIMEOUT_MS,
} from "./channel_options.ts";
import { type Endpoint, parseEndpoint } from "./endpoint.ts";
import { FrameCodec } from "./frame_codec.ts";
import {
  checkPixelLimit,
  checkWholeFrame,
  FrameSequence,
  MESSAGE_OVERHEAD_BYTES,
} from "./frame_message.ts";
import { encodeGrpcMessage, parseTimeout, Status, statusName } from "./grpc_status.ts";
import type { HeaderField } from "./hpack.ts";
import { ErrorCode } from "./http2_frames.ts";
import { Http2Connection, type Http2Stream } from "./http2_connection.ts";
import {
  BufferPool,
  messagePrefix,
  MessageReader,
  type ReceivedMessage,
} from "./message_reader.ts";
import type { FrameMessage } from "./service.ts";
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

const ECHO = ECHO_PATH;
const ECHO_STREAM = ECHO_STREAM_PATH;
const RESPONSE_HEADERS: HeaderField[] = [[":status", "200"], ["content-type", "application/grpc"]];
/** The longest grpc-message sent (a header block must fit a frame of 16 KiB). */
const MAX_DETAILS = 1000;

/** What every call of one server shares. */
interface ServerContext {
  stats: ServerStats;
  maxBytes: number;
  codec: FrameCodec;
  pool: BufferPool;
}

/**
 * The most bytes of message buffers one connection may have allocated for
 * messages whose data has not all come yet: eight of the largest, at least
 * 16 MiB. A buffer is allocated when a message's prefix says its length (so
 * that its data can be read straight into it); without this bound a client
 * could make the server allocate a full buffer per stream with 5 bytes each.
 */
export function inProgressBudget(maxMessageBytes: number): number {
  return Math.max(8 * maxMessageBytes, 16 * 1024 * 1024);
}

/** Reservations of one connection against {@linkcode inProgressBudget}. */
class Reservations {
  #used = 0;
  readonly #budget: number;
  constructor(budget: number) {
    this.#budget = budget;
  }
  reserve = (bytes: number): boolean => {
    if (this.#used + bytes > this.#budget) return false;
    this.#used += bytes;
    return true;
  };
  unreserve = (bytes: number): void => {
    this.#used -= bytes;
  };
}

/** One call of `FrameEcho` on one stream. */
class ServerCall {
  readonly #c: Http2Connection;
  readonly #stream: Http2Stream;
  readonly #ctx: ServerContext;
  readonly #unary: boolean;
  readonly #reader: MessageReader;
  readonly #sequence = new FrameSequence();
  #headersSent = false;
  #finished = false;
  /** Replies in order: each is sent after the one before. */
  #replies: Promise<void> = Promise.resolve();
  /** Unary: the request, once it came and passed the checks. */
  #request?: ReceivedMessage;
  #received = 0;
  #timer?: ReturnType<typeof setTimeout>;

  constructor(
    c: Http2Connection,
    stream: Http2Stream,
    ctx: ServerContext,
    unary: boolean,
    reservations: Reservations,
  ) {
    this.#c = c;
    this.#stream = stream;
    this.#ctx = ctx;
    this.#unary = unary;
    this.#reader = new MessageReader({
      maxBytes: ctx.maxBytes + MESSAGE_OVERHEAD_BYTES,
      pool: ctx.pool,
      onMessage: (m) => this.#onMessage(m),
      onError: (code, details) => this.finish(code, details),
      release: (n) => c.release(n),
      reserve: reservations.reserve,
      unreserve: reservations.unreserve,
    });
    stream.events = {
      target: (max) => this.#reader.target(max),
      written: (n) => this.#reader.written(n),
      onHeaders: (_fields, endStream) => {
        // Trailers from a client: nothing in them for us; the end is what counts.
        if (endStream) this.#onEnd();
      },
      onEnd: () => this.#onEnd(),
      onReset: () => this.#abandon(),
    };
  }

  /** Starts the deadline of `grpc-timeout` (ms). */
  deadline(ms: number): void {
    this.#timer = setTimeout(() => this.finish(Status.DEADLINE_EXCEEDED, "Deadline exceeded"), ms);
  }

  #onMessage(message: ReceivedMessage): void {
    if (this.#finished) return message.release();
    this.#received++;
    let frame: FrameMessage;
    try {
      frame = this.#ctx.codec.deserialize(
        Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength),
      );
    } catch (error) {
      message.release();
      return this.finish(Status.INTERNAL, `Failed to parse request: ${(error as Error).message}`);
    }
    const over = checkPixelLimit(frame, this.#ctx.maxBytes);
    if (over) {
      message.release();
      return this.finish(Status.RESOURCE_EXHAUSTED, over);
    }
    if (this.#unary) {
      if (this.#received > 1) {
        message.release();
        this.#request?.release();
        return this.finish(Status.UNIMPLEMENTED, "more than one request message for a unary call");
      }
      const problem = checkWholeFrame(frame);
      if (problem) {
        message.release();
        return this.finish(Status.INVALID_ARGUMENT, problem);
      }
      this.#request = message;
      if (this.#stream.remoteEnded) this.#onEnd();
      return;
    }
    const problem = this.#sequence.accept(frame);
    if (problem) {
      message.release();
      return this.finish(Status.INVALID_ARGUMENT, problem);
    }
    if (this.#sequence.frameDone) this.#ctx.stats.frames++;
    this.#reply(message);
  }

  /** Sends `message` back (after the replies before it), then releases it. */
  #reply(message: ReceivedMessage): void {
    this.#replies = this.#replies.then(async () => {
      try {
        if (this.#finished) return;
        if (!this.#headersSent) {
          this.#headersSent = true;
          this.#c.sendHeaders(this.#stream, RESPONSE_HEADERS, false).catch(() => {});
        }
        // The echo: the received bytes themselves, behind a new prefix (no copy).
        await this.#c.sendData(
          this.#stream,
          [messagePrefix(message.bytes.length), message.bytes],
          false,
        );
      } catch {
        // The stream or connection went away: #abandon has run or will.
      } finally {
        message.release();
      }
    });
  }

  #onEnd(): void {
    if (this.#finished) return;
    if (this.#reader.partial) {
      return this.finish(Status.INTERNAL, "the request ended inside a message");
    }
    if (this.#unary) {
      if (!this.#request) {
        if (this.#received === 0) {
          this.finish(Status.UNIMPLEMENTED, "no request message for a unary call");
        }
        return;
      }
      const request = this.#request;
      this.#request = undefined;
      this.#ctx.stats.frames++;
      this.#reply(request);
    }
    this.#replies.then(() => this.finish(Status.OK, ""));
  }

  /**
   * Ends the call with `code`: the trailers (or, before any reply, a
   * trailers-only response), then RST_STREAM NO_ERROR if the client is still
   * sending, so that it stops. A status other than OK, CANCELLED and
   * DEADLINE_EXCEEDED is counted as a refusal.
   */
  finish(code: number, details: string): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#request?.release();
    this.#request = undefined;
    this.#reader.discard();
    if (code !== Status.OK && code !== Status.CANCELLED && code !== Status.DEADLINE_EXCEEDED) {
      this.#ctx.stats.refuse(`${statusName(code)}: ${details}`);
    }
    const trailers: HeaderField[] = [["grpc-status", String(code)]];
    if (details) trailers.push(["grpc-message", encodeGrpcMessage(details.slice(0, MAX_DETAILS))]);
    const block = this.#headersSent ? trailers : [...RESPONSE_HEADERS, ...trailers];
    this.#headersSent = true;
    const stream = this.#stream;
    this.#c.sendHeaders(stream, block, true).catch(() => {});
    if (!stream.remoteEnded) this.#c.resetStream(stream, ErrorCode.NO_ERROR);
  }

  /** The client cancelled, or the connection closed: nothing more to send. */
  #abandon(): void {
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#request?.release();
    this.#request = undefined;
    this.#reader.discard();
  }
}

/** Answers a request that is not a call of `FrameEcho`; returns true when it did. */
function refuseRequest(
  c: Http2Connection,
  stream: Http2Stream,
  headers: Map<string, string>,
  stats: ServerStats,
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
  if (path !== ECHO && path !== ECHO_STREAM) {
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
 * Serves until `signal` aborts, then sends GOAWAY and cancels the calls in
 * progress, closes the listener, removes a unix socket file, and returns
 * what it served. Throws, before serving, when the endpoint is in use.
 */
export async function serveLean(options: LeanServerOptions): Promise<ServerStats> {
  const endpoint = options.endpoint ?? parseEndpoint({});
  const { unixPath } = endpoint;
  const window = options.window ?? FLOW_CONTROL_WINDOW_BYTES;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let listener: Deno.Listener;
  let removeSocketFile: (() => void) | undefined;
  if (unixPath) {
    if (await unixSocketInUse(unixPath)) {
      throw new Error(`${endpoint.url} is in use by another server`);
    }
    // A file left by a server that was killed: binding would fail on it.
    await Deno.remove(unixPath).catch(() => {});
    listener = await listenPrivately(
      unixPath,
      (at) => Deno.listen({ transport: "unix", path: at }),
    );
    removeSocketFile = removeOnExit(unixPath);
  } else {
    try {
      listener = Deno.listen({ hostname: endpoint.host, port: endpoint.port! });
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) {
        throw new Error(`${endpoint.url} is in use by another server`);
      }
      throw new Error(`cannot listen on ${endpoint.url}: ${(error as Error).message}`);
    }
  }
  const stats = new ServerStats("grpc");
  const ctx: ServerContext = { stats, maxBytes, codec: new FrameCodec(), pool: new BufferPool() };
  const maxMessage = maxBytes + MESSAGE_OVERHEAD_BYTES;
  const connections = new Set<Http2Connection>();
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        if (unixPath === undefined) (conn as Deno.TcpConn).setNoDelay(true);
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
            const call = new ServerCall(
              c,
              stream,
              ctx,
              headers.get(":path") === ECHO,
              reservations,
            );
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
    stats.ready(endpoint.url);
    const { promise, resolve } = Promise.withResolvers<void>();
    if (options.signal.aborted) resolve();
    else options.signal.addEventListener("abort", () => resolve(), { once: true });
    await promise;
  } finally {
    try {
      listener.close();
    } catch { /* closed */ }
    await accepting;
    // Calls in progress (a client streaming frames) are cancelled: their
    // clients see the server go.
    // (No GOAWAY: see Http2Connection.cancelAndClose.)
    await Promise.all([...connections].map((c) => c.cancelAndClose("the server is stopping")));
    removeSocketFile?.();
  }
  stats.stopped();
  return stats;
}
