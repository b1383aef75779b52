/**
 * gRPC calls from the client side on framebench's own HTTP/2
 * (./http2_connection.ts): a {@linkcode LeanChannel} keeps one connection to
 * a server (a new one when it broke or the server said GOAWAY), and a
 * {@linkcode ClientCall} is one call on one stream: request headers (with
 * `grpc-timeout` for a deadline), length-prefixed messages out, messages in
 * (read straight into their buffers, ./message_reader.ts), and the status
 * from the trailers, from an HTTP status, or from a reset stream or a broken
 * connection.
 *
 * @module
 */

import { connectStream } from "../common/connect.ts";
import type { Endpoint } from "../common/endpoint.ts";
import { grpcTarget } from "./endpoint.ts";
import {
  decodeGrpcMessage,
  formatTimeout,
  GrpcError,
  Status,
  statusFromHttp,
} from "./grpc_status.ts";
import type { HeaderField } from "./hpack.ts";
import { ErrorCode } from "./http2_frames.ts";
import { Http2Connection, type Http2Stream } from "./http2_connection.ts";
import {
  BufferPool,
  messagePrefix,
  MessageReader,
  type ReceivedMessage,
} from "./message_reader.ts";

/** Options for {@linkcode LeanChannel}. */
export interface LeanChannelOptions {
  /** HTTP/2 flow-control window, bytes. Default: 65535. */
  window?: number;
  /** Most bytes of one received message; a larger one fails the call (RESOURCE_EXHAUSTED). */
  maxReceiveBytes: number;
  /** Keep-alive ping interval, ms (0: none). Default: 0. */
  keepaliveMs?: number;
  /** Keep-alive ping timeout, ms. Default: 5000. */
  keepaliveTimeoutMs?: number;
}

/** The message of a failed `Deno.connect`, in the words grpc-js uses (ECONNREFUSED, ENOENT). */
function connectError(error: unknown, endpoint: Endpoint): string {
  const where = endpoint.kind === "unix" ? endpoint.path : grpcTarget(endpoint);
  if (error instanceof Deno.errors.ConnectionRefused) return `connect ECONNREFUSED ${where}`;
  if (error instanceof Deno.errors.NotFound) return `connect ENOENT ${where}`;
  return `connect ${where}: ${(error as Error).message}`;
}

/** A client's connection to one server, made when first needed and again after it broke. */
export class LeanChannel {
  readonly endpoint: Endpoint;
  readonly #options: LeanChannelOptions;
  readonly pool: BufferPool = new BufferPool();
  #connection?: Promise<Http2Connection>;
  #closed = false;

  constructor(endpoint: Endpoint, options: LeanChannelOptions) {
    this.endpoint = endpoint;
    this.#options = options;
  }

  /** The connection, made (or made again) if needed; throws {@linkcode GrpcError} UNAVAILABLE. */
  async connection(): Promise<Http2Connection> {
    if (this.#closed) throw new GrpcError(Status.UNAVAILABLE, "the channel is closed");
    if (this.#connection) {
      const existing = await this.#connection.catch(() => undefined);
      if (existing?.usable) return existing;
    }
    this.#connection = this.#connect();
    return await this.#connection;
  }

  async #connect(): Promise<Http2Connection> {
    const { endpoint } = this;
    let conn: Deno.Conn;
    try {
      conn = await connectStream(endpoint);
    } catch (error) {
      throw new GrpcError(Status.UNAVAILABLE, connectError(error, endpoint));
    }
    const window = this.#options.window ?? 65535;
    const connection = new Http2Connection(conn, {
      role: "client",
      window,
      heldBudget: Math.max(window, this.#options.maxReceiveBytes + (1 << 20)),
      keepaliveMs: this.#options.keepaliveMs ?? 0,
      keepaliveTimeoutMs: this.#options.keepaliveTimeoutMs,
    });
    connection.start();
    return connection;
  }

  /** Starts a call of `path` (`/package.Service/Method`), with a deadline `deadlineMs` from now if given. */
  async call(path: string, deadlineMs?: number): Promise<ClientCall> {
    const connection = await this.connection();
    return new ClientCall(this, connection, path, this.#options.maxReceiveBytes, deadlineMs);
  }

  /**
   * Closes the connection (the socket, without a GOAWAY: see
   * `Http2Connection.cancelAndClose`); calls in progress fail with UNAVAILABLE.
   */
  close(): void {
    this.#closed = true;
    this.#connection?.then((c) => c.close("the client closed the channel")).catch(() => {});
  }
}

/** How a call ended. */
interface CallStatus {
  code: number;
  details: string;
}

/** One call on one stream; see the module documentation. */
export class ClientCall {
  readonly #connection: Http2Connection;
  readonly #stream: Http2Stream;
  readonly #reader: MessageReader;
  readonly #messages: ReceivedMessage[] = [];
  #wake?: () => void;
  #responseHeaders = false;
  #status?: CallStatus;
  #timer?: ReturnType<typeof setTimeout>;

  constructor(
    channel: LeanChannel,
    connection: Http2Connection,
    path: string,
    maxReceiveBytes: number,
    deadlineMs?: number,
  ) {
    this.#connection = connection;
    this.#reader = new MessageReader({
      maxBytes: maxReceiveBytes,
      pool: channel.pool,
      onMessage: (m) => {
        this.#messages.push(m);
        this.#wakeUp();
      },
      onError: (code, details) => this.#fail(code, details, true),
      release: (n) => connection.release(n),
    });
    this.#stream = connection.openStream({
      target: (max) => this.#reader.target(max),
      written: (n) => this.#reader.written(n),
      onHeaders: (fields, endStream) => this.#onHeaders(fields, endStream),
      onEnd: () => {
        if (!this.#status) {
          this.#fail(Status.INTERNAL, "the server ended the stream without a status");
        }
      },
      onReset: (code, reason) => {
        if (this.#status) return;
        if (code === undefined || code === ErrorCode.REFUSED_STREAM) {
          this.#fail(Status.UNAVAILABLE, reason);
        } else if (code === ErrorCode.CANCEL) {
          this.#fail(Status.CANCELLED, reason);
        } else if (code === ErrorCode.NO_ERROR) {
          this.#fail(Status.INTERNAL, "the server reset the stream without a status");
        } else {
          this.#fail(Status.INTERNAL, reason);
        }
      },
    });
    const authority = channel.endpoint.kind === "unix" ? "localhost" : grpcTarget(channel.endpoint);
    const headers: HeaderField[] = [
      [":method", "POST"],
      [":scheme", "http"],
      [":path", path],
      [":authority", authority],
      ["content-type", "application/grpc"],
      ["te", "trailers"],
      ["user-agent", "framebench-lean/1"],
    ];
    if (deadlineMs !== undefined) {
      headers.push(["grpc-timeout", formatTimeout(deadlineMs)]);
      this.#timer = setTimeout(() => {
        if (this.#status) return;
        this.#fail(Status.DEADLINE_EXCEEDED, "Deadline exceeded", true);
      }, deadlineMs);
    }
    connection.sendHeaders(this.#stream, headers, false).catch(() => {});
  }

  /** How the call ended, once it did. */
  get status(): CallStatus | undefined {
    return this.#status;
  }

  /**
   * Sends one message made of `parts` (written back to back, not copied)
   * and, with `end`, ends the request. Resolves once it is written (the
   * parts may then be reused); rejects with the call's {@linkcode GrpcError}
   * when the call ended first.
   */
  async send(parts: readonly Uint8Array[], end: boolean): Promise<void> {
    if (this.#status) throw this.#error();
    let length = 0;
    for (const p of parts) length += p.length;
    try {
      await this.#connection.sendData(this.#stream, [messagePrefix(length), ...parts], end);
    } catch {
      throw this.#status
        ? this.#error()
        : new GrpcError(Status.UNAVAILABLE, this.#connection.closeReason);
    }
  }

  /** Ends the request without a message. */
  async end(): Promise<void> {
    if (this.#status || this.#stream.localEnded) return;
    await this.#connection.sendData(this.#stream, [], true).catch(() => {});
  }

  /**
   * The next message (release it when done with its bytes), null once the
   * call ended with OK; waits up to `timeoutMs` (then resolves undefined).
   * Throws the call's {@linkcode GrpcError} when it ended otherwise.
   */
  async next(timeoutMs = Infinity): Promise<ReceivedMessage | null | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      while (this.#messages.length === 0) {
        if (this.#status) {
          if (this.#status.code === Status.OK) return null;
          throw this.#error();
        }
        const { promise, resolve } = Promise.withResolvers<boolean>();
        this.#wake = () => resolve(true);
        if (Number.isFinite(timeoutMs)) timer = setTimeout(() => resolve(false), timeoutMs);
        const woken = await promise;
        clearTimeout(timer);
        if (!woken) return undefined;
      }
      return this.#messages.shift()!;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Cancels the call (RST_STREAM CANCEL); it ends with CANCELLED. */
  cancel(): void {
    this.#fail(Status.CANCELLED, "Cancelled on client", true);
  }

  #error(): GrpcError {
    return new GrpcError(this.#status!.code, this.#status!.details);
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Ends the call with a status of this side; `reset` tells the server to stop (RST_STREAM CANCEL). */
  #fail(code: number, details: string, reset = false): void {
    if (this.#status) return;
    this.#status = { code, details };
    clearTimeout(this.#timer);
    this.#reader.discard();
    if (reset) this.#connection.resetStream(this.#stream, ErrorCode.CANCEL);
    for (const m of this.#messages.splice(0)) m.release();
    this.#wakeUp();
  }

  #onHeaders(fields: HeaderField[], endStream: boolean): void {
    const headers = new Map(fields);
    if (!this.#responseHeaders) {
      this.#responseHeaders = true;
      const httpStatus = Number(headers.get(":status"));
      if (httpStatus !== 200) {
        return this.#fail(
          statusFromHttp(httpStatus),
          `Received HTTP status code ${headers.get(":status")}`,
          !endStream,
        );
      }
      const type = headers.get("content-type") ?? "";
      if (!type.startsWith("application/grpc")) {
        return this.#fail(Status.UNKNOWN, `Received invalid content-type ${type}`, !endStream);
      }
      if (!endStream) return;
    } else if (!endStream) {
      return this.#fail(
        Status.INTERNAL,
        "a second header block that does not end the stream",
        true,
      );
    }
    // Trailers (or a trailers-only response).
    const code = Number(headers.get("grpc-status") ?? "NaN");
    const details = decodeGrpcMessage(headers.get("grpc-message") ?? "");
    if (!Number.isInteger(code)) return this.#fail(Status.UNKNOWN, "No status received");
    if (code === Status.OK && this.#reader.partial) {
      return this.#fail(Status.INTERNAL, "the response ended inside a message");
    }
    clearTimeout(this.#timer);
    // Messages that came before an error status are still the caller's to take.
    this.#status = { code, details };
    this.#wakeUp();
  }
}
