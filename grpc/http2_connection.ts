/**
 * One HTTP/2 connection (RFC 9113) over a Deno socket, client or server side:
 * the preface and SETTINGS, streams, HPACK header blocks (with CONTINUATION),
 * flow control both ways, PING (answered, and sent as keep-alive),
 * RST_STREAM and GOAWAY. It knows nothing of gRPC: ./lean_call.ts and
 * ./lean_server_call.ts put calls on its streams.
 *
 * The parts: a stream and its events (./http2_stream.ts), the table of
 * streams (./http2_stream_table.ts), flow control (./http2_flow.ts), the
 * reading side (./http2_receive.ts: zero copy on the way in), control frames
 * checked (./http2_control.ts), header blocks cut and gathered
 * (./http2_header_block.ts), keep-alive (./http2_keepalive.ts). This file
 * opens, writes, resets and closes. On the way out,
 * {@linkcode Http2Connection.sendData} cuts the caller's byte ranges into
 * DATA frames as views (no copy); the socket writer copies only small
 * ranges, to coalesce them (./socket_writer.ts).
 *
 * @module
 */

import type { Control } from "./http2_control.ts";
import { ConnectionFlow } from "./http2_flow.ts";
import {
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  ErrorCode,
  errorCodeName,
  Flag,
  FRAME_HEADER_BYTES,
  FrameType,
  goawayFrame,
  MAX_WINDOW,
  pingFrame,
  PREFACE,
  rstStreamFrame,
  Setting,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
} from "./http2_frames.ts";
import { headerFrames, MAX_HEADER_BLOCK_BYTES } from "./http2_header_block.ts";
import { Keepalive } from "./http2_keepalive.ts";
import { FrameReceiver, LOCAL_MAX_FRAME_SIZE } from "./http2_receive.ts";
import { ConnectionError, type DataSink, Http2Stream, type StreamEvents } from "./http2_stream.ts";
import { StreamTable } from "./http2_stream_table.ts";
import { type HeaderField, hpackEncode } from "./hpack.ts";
import { EndOfStream, SocketReader } from "./socket_reader.ts";
import { SocketWriter } from "./socket_writer.ts";

export { type DataSink, Http2Stream, type StreamEvents };

/** Options for {@linkcode Http2Connection}. */
export interface Http2ConnectionOptions {
  /** `client` writes the preface and opens odd streams; `server` accepts them. */
  role: "client" | "server";
  /** Receive window of each stream and of the connection, bytes. Default: 65535. */
  window?: number;
  /**
   * Bytes received and not yet released ({@linkcode Http2Connection.release})
   * beyond which the connection's window is no longer given back. Default:
   * `window` (at least 1 MiB).
   */
  heldBudget?: number;
  /** Server: most concurrent streams a client may open. Default: 100. */
  maxConcurrentStreams?: number;
  /** Server: called for each new stream with its request headers; must set `stream.events`. */
  onStream?: (stream: Http2Stream, fields: HeaderField[], endStream: boolean) => void;
  /** Ping a connection silent this long, ms (0: never). Default: 0. */
  keepaliveMs?: number;
  /** Close a connection whose ping is unanswered this long, ms. Default: 5000. */
  keepaliveTimeoutMs?: number;
  /** Server: close a connection that has not sent its preface within this, ms. Default: 10000. */
  handshakeTimeoutMs?: number;
}

/** An HTTP/2 connection; see the module documentation. */
export class Http2Connection {
  readonly #conn: Deno.Conn;
  readonly #reader: SocketReader;
  readonly #writer: SocketWriter;
  readonly #options: Http2ConnectionOptions;
  readonly #window: number;
  readonly #flow: ConnectionFlow;
  readonly #receiver: FrameReceiver;
  readonly #streams: StreamTable;
  readonly #keepalive: Keepalive;
  #peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  // Life.
  #closed = false;
  #goawayReceived = false;
  #closeReason = "";
  readonly #done = Promise.withResolvers<void>();

  constructor(conn: Deno.Conn, options: Http2ConnectionOptions) {
    this.#conn = conn;
    this.#reader = new SocketReader(conn);
    this.#writer = new SocketWriter(conn);
    this.#options = options;
    this.#window = Math.min(MAX_WINDOW, options.window ?? DEFAULT_WINDOW);
    const heldBudget = options.heldBudget ?? Math.max(this.#window, 1 << 20);
    this.#flow = new ConnectionFlow(this.#window, heldBudget, (f) => {
      this.#send([f]).catch(() => {});
    });
    this.#streams = new StreamTable(options.role, this.#window, () => this.#flow.wake());
    const keepalive = new Keepalive(
      options.keepaliveMs ?? 0,
      options.keepaliveTimeoutMs ?? 5000,
      () => this.#send([pingFrame(new Uint8Array(8))]).catch(() => {}),
      (reason) => this.close(reason),
    );
    this.#keepalive = keepalive;
    // deno-lint-ignore no-this-alias
    const connection = this;
    this.#receiver = new FrameReceiver(this.#reader, {
      role: options.role,
      streams: this.#streams,
      flow: this.#flow,
      keepalive,
      maxConcurrentStreams: options.maxConcurrentStreams ?? 100,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10000,
      get accepting() {
        return connection.usable;
      },
      resetStream: (stream, code) => this.resetStream(stream, code),
      refuseStream: (id) => {
        this.#send([rstStreamFrame(id, ErrorCode.REFUSED_STREAM)]).catch(() => {});
      },
      control: (control) => this.#control(control),
      onStream: options.onStream,
    });
  }

  /** Resolves once the connection is closed, for whatever reason. */
  get closed(): Promise<void> {
    return this.#done.promise;
  }

  /** Whether new streams can be opened on it (not closed, no GOAWAY received). */
  get usable(): boolean {
    return !this.#closed && !this.#goawayReceived;
  }

  /** Why it closed, once it did. */
  get closeReason(): string {
    return this.#closeReason;
  }

  /** Streams open now. */
  get openStreams(): number {
    return this.#streams.size;
  }

  /** Writes the preface (client) and SETTINGS, and starts reading. */
  start(): void {
    const settings = new Map<number, number>([
      [Setting.MAX_FRAME_SIZE, LOCAL_MAX_FRAME_SIZE],
      [Setting.INITIAL_WINDOW_SIZE, this.#window],
      [Setting.MAX_HEADER_LIST_SIZE, MAX_HEADER_BLOCK_BYTES],
    ]);
    if (this.#options.role === "client") settings.set(Setting.ENABLE_PUSH, 0);
    else settings.set(Setting.MAX_CONCURRENT_STREAMS, this.#options.maxConcurrentStreams ?? 100);
    const first = [settingsFrame(settings)];
    if (this.#window > DEFAULT_WINDOW) {
      first.push(windowUpdateFrame(0, this.#window - DEFAULT_WINDOW));
      this.#flow.recvWindow = this.#window;
    }
    if (this.#options.role === "client") first.unshift(PREFACE);
    this.#send(first);
    this.#readLoop();
    this.#keepalive.start();
  }

  /** Client: opens a stream whose frames go to `events`. Throws when the connection cannot take one. */
  openStream(events: StreamEvents): Http2Stream {
    if (!this.usable) throw new Error(this.#closeReason || "the connection is going away");
    return this.#streams.open(events);
  }

  /** Sends a header block on `stream` (HEADERS, then CONTINUATION frames if it is large). */
  sendHeaders(
    stream: Http2Stream,
    fields: readonly HeaderField[],
    endStream: boolean,
  ): Promise<void> {
    if (stream.closed || stream.localEnded) return Promise.resolve();
    const frames = headerFrames(hpackEncode(fields), stream.id, this.#peerMaxFrameSize, endStream);
    if (endStream) this.#streams.endLocal(stream);
    return this.#send(frames);
  }

  /**
   * Sends `parts` (one byte sequence, in pieces) as DATA frames on `stream`,
   * within the flow-control windows and the peer's frame size, without
   * copying them; resolves once the last byte is written (the caller may
   * then reuse the bytes). `endStream` sets END_STREAM on the last frame.
   * Rejects when the stream or the connection is gone first.
   */
  async sendData(
    stream: Http2Stream,
    parts: readonly Uint8Array[],
    endStream: boolean,
  ): Promise<void> {
    let remaining = 0;
    for (const p of parts) remaining += p.length;
    let part = 0;
    let offset = 0;
    let last: Promise<void> = Promise.resolve();
    if (remaining === 0) {
      const header = new Uint8Array(FRAME_HEADER_BYTES);
      writeFrameHeader(header, 0, 0, FrameType.DATA, endStream ? Flag.END_STREAM : 0, stream.id);
      if (endStream) this.#streams.endLocal(stream);
      return await this.#send([header]);
    }
    while (remaining > 0) {
      const flow = this.#flow;
      while (stream.sendWindow <= 0 || flow.sendWindow <= 0) {
        if (stream.closed || this.#closed) break;
        await flow.wait();
      }
      if (stream.closed || this.#closed) {
        throw new Error(this.#closed ? this.#closeReason : `stream ${stream.id} was reset`);
      }
      const n = Math.min(remaining, stream.sendWindow, flow.sendWindow, this.#peerMaxFrameSize);
      const end = endStream && n === remaining;
      const header = new Uint8Array(FRAME_HEADER_BYTES);
      writeFrameHeader(header, 0, n, FrameType.DATA, end ? Flag.END_STREAM : 0, stream.id);
      const frameParts: Uint8Array[] = [header];
      for (let need = n; need > 0;) {
        const p = parts[part];
        const k = Math.min(need, p.length - offset);
        frameParts.push(p.subarray(offset, offset + k)); // a view: no copy
        need -= k;
        offset += k;
        if (offset === p.length) {
          part++;
          offset = 0;
        }
      }
      stream.sendWindow -= n;
      flow.sendWindow -= n;
      remaining -= n;
      if (end) this.#streams.endLocal(stream);
      last = this.#send(frameParts);
    }
    await last;
  }

  /** Resets `stream` with `code` (RST_STREAM); its events get no more frames. */
  resetStream(stream: Http2Stream, code: number): void {
    if (stream.closed) return;
    this.#streams.forget(stream);
    this.#send([rstStreamFrame(stream.id, code)]).catch(() => {});
  }

  /**
   * Gives back the connection window of `bytes` that the peer sent and their
   * user no longer holds (see the module documentation).
   */
  release(bytes: number): void {
    this.#flow.release(bytes);
  }

  /**
   * Sends GOAWAY (`code`, the last stream the peer opened), resets the
   * streams still open with CANCEL when `cancelStreams`, and closes once it
   * is written.
   */
  async goAway(code: number = ErrorCode.NO_ERROR, debug = "", cancelStreams = true): Promise<void> {
    if (this.#closed) return;
    const frames = [goawayFrame(this.#streams.lastPeerId, code, debug)];
    if (cancelStreams) {
      for (const stream of this.#streams.all()) {
        frames.push(rstStreamFrame(stream.id, ErrorCode.CANCEL));
      }
    }
    await Promise.race([
      this.#send(frames).catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, 1000)),
    ]);
    this.close(debug || `GOAWAY ${errorCodeName(code)} sent`);
  }

  /**
   * Stops this side without a GOAWAY: resets the streams still open with
   * CANCEL, waits (at most 1 s) for that to be written, and closes. A GOAWAY
   * is what RFC 9113 asks for, but under Deno 2.9.6 a `node:http2` peer (so
   * grpc-js, `--impl js`) that receives one can abort inside nghttp2
   * (`find_stream_on_goaway_func` assertion, denoland/deno#36788, measured
   * here as a grpc-js server dying after a lean client closed with GOAWAY),
   * while a closed socket is handled everywhere.
   */
  async cancelAndClose(reason: string): Promise<void> {
    if (this.#closed) return;
    const frames = this.#streams.all().map((s) => rstStreamFrame(s.id, ErrorCode.CANCEL));
    if (frames.length > 0) {
      await Promise.race([
        this.#send(frames).catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, 1000)),
      ]);
    }
    this.close(reason);
  }

  /** Closes the socket; every open stream gets `onReset` with `reason`. */
  close(reason = "the connection was closed"): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    this.#keepalive.stop();
    this.#writer.fail(new Error(reason));
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    for (const stream of this.#streams.all()) {
      this.#streams.forget(stream);
      stream.events.onReset(undefined, reason);
    }
    this.#flow.wake();
    this.#done.resolve();
  }

  /**
   * Queues `parts` for the socket. The promise is marked handled here: a
   * write that fails (the peer went away) closes the connection through the
   * read loop, and a caller that does not wait for it must not crash the
   * process with an unhandled rejection.
   */
  #send(parts: Uint8Array[]): Promise<void> {
    const written = this.#writer.write(parts);
    written.catch(() => {});
    return written;
  }

  async #readLoop(): Promise<void> {
    try {
      await this.#receiver.run();
    } catch (error) {
      if (error instanceof ConnectionError) {
        await this.goAway(error.code, error.message, false);
      } else {
        this.close(
          error instanceof EndOfStream
            ? "the connection was closed by the peer"
            : `connection broken: ${(error as Error).message}`,
        );
      }
    }
  }

  #control(control: Control): void {
    switch (control.kind) {
      case "settings":
        for (const [id, value] of control.settings) this.#applySetting(id, value);
        this.#send([settingsFrame(new Map(), true)]).catch(() => {});
        this.#flow.wake();
        return;
      case "window-update": {
        const { streamId, increment } = control;
        if (streamId === 0) return this.#flow.grow(increment);
        const stream = this.#streams.get(streamId);
        if (!stream) return;
        if (increment === 0 || stream.sendWindow + increment > MAX_WINDOW) {
          const code = increment === 0 ? ErrorCode.PROTOCOL_ERROR : ErrorCode.FLOW_CONTROL_ERROR;
          this.resetStream(stream, code);
          stream.events.onReset(code, "a bad WINDOW_UPDATE from the peer");
          return;
        }
        stream.sendWindow += increment;
        this.#flow.wake();
        return;
      }
      case "ping":
        this.#send([pingFrame(control.payload.slice(), true)]).catch(() => {});
        return;
      case "ping-ack":
        this.#keepalive.answered();
        return;
      case "rst-stream": {
        const stream = this.#streams.get(control.streamId);
        if (!stream) return;
        this.#streams.forget(stream);
        stream.events.onReset(
          control.code,
          `stream reset by the peer (${errorCodeName(control.code)})`,
        );
        return;
      }
      case "goaway": {
        const { last, code, debug } = control;
        this.#goawayReceived = true;
        const reason = `the peer is going away (GOAWAY ${errorCodeName(code)}${
          debug ? `: ${debug}` : ""
        })`;
        this.#closeReason = reason;
        this.#streams.goneAway(last, reason);
        if (this.#streams.size === 0) this.close(reason);
        return;
      }
    }
  }

  /** Applies a setting of the peer (checked by ./http2_control.ts). */
  #applySetting(id: number, value: number): void {
    switch (id) {
      case Setting.INITIAL_WINDOW_SIZE:
        this.#streams.setPeerInitialWindow(value);
        return;
      case Setting.MAX_FRAME_SIZE:
        this.#peerMaxFrameSize = value;
        return;
      case Setting.MAX_CONCURRENT_STREAMS:
        this.#streams.peerMaxStreams = value;
        return;
      default:
        return; // HEADER_TABLE_SIZE: the encoder uses no dynamic table; others are advisory
    }
  }
}
