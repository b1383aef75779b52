/**
 * One HTTP/2 connection (RFC 9113) over a Deno socket, client or server side:
 * the preface and SETTINGS, streams, HPACK header blocks (with CONTINUATION),
 * flow control both ways, PING (answered, and sent as keep-alive),
 * RST_STREAM and GOAWAY. It knows nothing of gRPC: ./grpc_call.ts puts calls
 * on its streams.
 *
 * Zero copy on the way in: the payload of a DATA frame is read by
 * {@linkcode SocketReader.readInto} into the target its stream's
 * {@linkcode DataSink} gives (a gRPC message's own buffer), except for the
 * bytes that reading a frame header brought into the staging buffer (copied,
 * at most 64 KiB). On the way out, {@linkcode Http2Connection.sendData} cuts
 * the caller's byte ranges into DATA frames as views (no copy); the socket
 * writer copies only small ranges, to coalesce them (./socket_writer.ts).
 *
 * Flow control: each stream's window is given back as its bytes arrive; the
 * connection's window is given back only while the bytes received and not
 * yet released by their user stay under a budget, so that a peer that sends
 * and never reads cannot make this side hold more than the budget plus one
 * window.
 *
 * @module
 */

import {
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  ErrorCode,
  errorCodeName,
  Flag,
  frame,
  FRAME_HEADER_BYTES,
  FrameType,
  goawayFrame,
  MAX_FRAME_SIZE_LIMIT,
  MAX_WINDOW,
  parseFrameHeader,
  parseSettings,
  pingFrame,
  PREFACE,
  readU32,
  rstStreamFrame,
  Setting,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
} from "./http2_frames.ts";
import { type HeaderField, HpackDecoder, hpackEncode } from "./hpack.ts";
import { EndOfStream, SocketReader } from "./socket_reader.ts";
import { SocketWriter } from "./socket_writer.ts";

/** Where a stream's DATA bytes go. */
export interface DataSink {
  /**
   * Where the next bytes go, at most `max` of them: a non-empty view, or
   * null to drop the stream's remaining bytes (a refused message).
   */
  target(max: number): Uint8Array | null;
  /** `n` bytes were read into the last target. */
  written(n: number): void;
}

/** What a stream tells its user. */
export interface StreamEvents extends DataSink {
  /** A header block (headers or trailers) arrived; `endStream` when the peer is done. */
  onHeaders(fields: HeaderField[], endStream: boolean): void;
  /** The peer ended its side with a DATA frame. */
  onEnd(): void;
  /** The stream ended abnormally: reset by the peer (`code`) or the connection closed (`code` undefined). */
  onReset(code: number | undefined, reason: string): void;
}

/** A connection-level error: GOAWAY with `code`, then close. */
class ConnectionError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
    this.name = "ConnectionError";
  }
}

/** One stream of a connection. */
export class Http2Stream {
  /** Stream identifier. */
  readonly id: number;
  /** What happens on it; set by the user before any frame arrives. */
  events: StreamEvents;
  /** Bytes this side may still send on it. */
  sendWindow: number;
  /** Bytes the peer may still send on it. */
  recvWindow: number;
  /** Received bytes whose window has not been given back yet. */
  unacked = 0;
  /** Whether this side sent END_STREAM. */
  localEnded = false;
  /** Whether the peer sent END_STREAM. */
  remoteEnded = false;
  /** Whether it is gone (both sides ended, or reset). */
  closed = false;

  constructor(id: number, events: StreamEvents, sendWindow: number, recvWindow: number) {
    this.id = id;
    this.events = events;
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }
}

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

/** Our SETTINGS_MAX_FRAME_SIZE: the largest there is, so that a 6 MB message is one DATA frame. */
const LOCAL_MAX_FRAME_SIZE = MAX_FRAME_SIZE_LIMIT;
/** Our SETTINGS_MAX_HEADER_LIST_SIZE, and the most header block bytes we gather. */
const MAX_HEADER_BLOCK_BYTES = 64 * 1024;

const NO_EVENTS: StreamEvents = {
  target: () => null,
  written: () => {},
  onHeaders: () => {},
  onEnd: () => {},
  onReset: () => {},
};

/** An HTTP/2 connection; see the module documentation. */
export class Http2Connection {
  readonly #conn: Deno.Conn;
  readonly #reader: SocketReader;
  readonly #writer: SocketWriter;
  readonly #options: Http2ConnectionOptions;
  readonly #window: number;
  readonly #heldBudget: number;
  readonly #decoder = new HpackDecoder({ maxHeaderListSize: MAX_HEADER_BLOCK_BYTES });
  readonly #streams = new Map<number, Http2Stream>();
  #nextStreamId = 1;
  #lastPeerStreamId = 0;
  // Peer's settings.
  #peerInitialWindow = DEFAULT_WINDOW;
  #peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  #peerMaxStreams = Infinity;
  // Connection flow control.
  #sendWindow = DEFAULT_WINDOW;
  #recvWindow = DEFAULT_WINDOW;
  #connUnacked = 0;
  #held = 0;
  #windowWaiters: (() => void)[] = [];
  // Life.
  #closed = false;
  #goawayReceived = false;
  #closeReason = "";
  readonly #done = Promise.withResolvers<void>();
  #lastReceived = performance.now();
  #pingSentAt = 0;
  #keepaliveTimer?: ReturnType<typeof setTimeout>;

  constructor(conn: Deno.Conn, options: Http2ConnectionOptions) {
    this.#conn = conn;
    this.#reader = new SocketReader(conn);
    this.#writer = new SocketWriter(conn);
    this.#options = options;
    this.#window = Math.min(MAX_WINDOW, options.window ?? DEFAULT_WINDOW);
    this.#heldBudget = options.heldBudget ?? Math.max(this.#window, 1 << 20);
    if (options.role === "server") this.#nextStreamId = 2;
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
      this.#recvWindow = this.#window;
    }
    if (this.#options.role === "client") first.unshift(PREFACE);
    this.#send(first);
    this.#readLoop();
    if (this.#options.keepaliveMs) this.#scheduleKeepalive();
  }

  /** Client: opens a stream whose frames go to `events`. Throws when the connection cannot take one. */
  openStream(events: StreamEvents): Http2Stream {
    if (!this.usable) throw new Error(this.#closeReason || "the connection is going away");
    if (this.#streams.size >= this.#peerMaxStreams) {
      throw new Error(`the server allows ${this.#peerMaxStreams} concurrent streams`);
    }
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    const stream = new Http2Stream(id, events, this.#peerInitialWindow, this.#window);
    this.#streams.set(id, stream);
    return stream;
  }

  /** Sends a header block on `stream` (HEADERS, then CONTINUATION frames if it is large). */
  sendHeaders(
    stream: Http2Stream,
    fields: readonly HeaderField[],
    endStream: boolean,
  ): Promise<void> {
    if (stream.closed || stream.localEnded) return Promise.resolve();
    const block = hpackEncode(fields);
    const frames: Uint8Array[] = [];
    const max = this.#peerMaxFrameSize;
    for (let at = 0; at === 0 || at < block.length; at += max) {
      const part = block.subarray(at, at + max);
      const last = at + max >= block.length;
      const type = at === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
      const flags = (last ? Flag.END_HEADERS : 0) |
        (at === 0 && endStream ? Flag.END_STREAM : 0);
      frames.push(frame(type, flags, stream.id, part));
    }
    if (endStream) this.#endLocal(stream);
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
      if (endStream) this.#endLocal(stream);
      return await this.#send([header]);
    }
    while (remaining > 0) {
      while (stream.sendWindow <= 0 || this.#sendWindow <= 0) {
        if (stream.closed || this.#closed) break;
        await new Promise<void>((resolve) => this.#windowWaiters.push(resolve));
      }
      if (stream.closed || this.#closed) {
        throw new Error(this.#closed ? this.#closeReason : `stream ${stream.id} was reset`);
      }
      const n = Math.min(remaining, stream.sendWindow, this.#sendWindow, this.#peerMaxFrameSize);
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
      this.#sendWindow -= n;
      remaining -= n;
      if (end) this.#endLocal(stream);
      last = this.#send(frameParts);
    }
    await last;
  }

  /** Resets `stream` with `code` (RST_STREAM); its events get no more frames. */
  resetStream(stream: Http2Stream, code: number): void {
    if (stream.closed) return;
    this.#forget(stream);
    this.#send([rstStreamFrame(stream.id, code)]).catch(() => {});
  }

  /**
   * Gives back the connection window of `bytes` that the peer sent and their
   * user no longer holds (see the module documentation).
   */
  release(bytes: number): void {
    this.#held -= bytes;
    this.#giveBackConnectionWindow();
  }

  /**
   * Sends GOAWAY (`code`, the last stream the peer opened), resets the
   * streams still open with CANCEL when `cancelStreams`, and closes once it
   * is written.
   */
  async goAway(code: number = ErrorCode.NO_ERROR, debug = "", cancelStreams = true): Promise<void> {
    if (this.#closed) return;
    const frames = [goawayFrame(this.#lastPeerStreamId, code, debug)];
    if (cancelStreams) {
      for (const stream of [...this.#streams.values()]) {
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
    const frames = [...this.#streams.values()].map((s) => rstStreamFrame(s.id, ErrorCode.CANCEL));
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
    clearTimeout(this.#keepaliveTimer);
    this.#writer.fail(new Error(reason));
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    for (const stream of [...this.#streams.values()]) {
      this.#forget(stream);
      stream.events.onReset(undefined, reason);
    }
    this.#wakeWindowWaiters();
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

  #endLocal(stream: Http2Stream): void {
    stream.localEnded = true;
    if (stream.remoteEnded) this.#forget(stream);
  }

  #forget(stream: Http2Stream): void {
    stream.closed = true;
    this.#streams.delete(stream.id);
    this.#wakeWindowWaiters();
  }

  #wakeWindowWaiters(): void {
    const waiters = this.#windowWaiters.splice(0);
    for (const wake of waiters) wake();
  }

  #giveBackConnectionWindow(): void {
    // Only while the bytes held stay within the budget (the module documentation).
    const allowed = Math.max(0, this.#heldBudget - this.#held);
    const n = Math.min(this.#connUnacked, allowed);
    if (n > 0 && this.#connUnacked >= this.#window / 2) {
      this.#connUnacked -= n;
      this.#recvWindow += n;
      this.#send([windowUpdateFrame(0, n)]).catch(() => {});
    }
  }

  /** Counts `n` received bytes: given back at once (`held` false) or when released. */
  #received(stream: Http2Stream | undefined, n: number, held: boolean): void {
    if (n === 0) return;
    if (held) this.#held += n;
    this.#connUnacked += n;
    this.#giveBackConnectionWindow();
    if (stream && !stream.closed && !stream.remoteEnded) {
      stream.unacked += n;
      if (stream.unacked >= this.#window / 2) {
        stream.recvWindow += stream.unacked;
        this.#send([windowUpdateFrame(stream.id, stream.unacked)]).catch(() => {});
        stream.unacked = 0;
      }
    }
  }

  #scheduleKeepalive(): void {
    const interval = this.#options.keepaliveMs!;
    const timeout = this.#options.keepaliveTimeoutMs ?? 5000;
    const tick = () => {
      if (this.#closed) return;
      const now = performance.now();
      if (this.#pingSentAt > 0 && now - this.#pingSentAt >= timeout) {
        this.close(`no answer to a keep-alive ping within ${timeout} ms`);
        return;
      }
      if (this.#pingSentAt === 0 && now - this.#lastReceived >= interval) {
        this.#pingSentAt = now;
        this.#send([pingFrame(new Uint8Array(8))]).catch(() => {});
      }
      this.#keepaliveTimer = setTimeout(tick, Math.min(interval, timeout) / 2);
      Deno.unrefTimer(Number(this.#keepaliveTimer));
    };
    tick();
  }

  async #readLoop(): Promise<void> {
    const reader = this.#reader;
    try {
      if (this.#options.role === "server") await this.#expectPreface();
      for (;;) {
        await reader.fill(FRAME_HEADER_BYTES);
        const header = parseFrameHeader(reader.take(FRAME_HEADER_BYTES));
        this.#lastReceived = performance.now();
        if (header.length > LOCAL_MAX_FRAME_SIZE) {
          throw new ConnectionError(
            ErrorCode.FRAME_SIZE_ERROR,
            `a frame of ${header.length} bytes`,
          );
        }
        if (header.type === FrameType.DATA) {
          await this.#readData(header.length, header.flags, header.streamId);
          continue;
        }
        if (header.length > reader.capacity) {
          throw new ConnectionError(
            ErrorCode.FRAME_SIZE_ERROR,
            `a ${header.type} frame of ${header.length} bytes`,
          );
        }
        await reader.fill(header.length);
        const payload = reader.take(header.length);
        if (header.type === FrameType.HEADERS) {
          await this.#readHeaders(header.flags, header.streamId, payload);
        } else {
          this.#control(header.type, header.flags, header.streamId, payload);
        }
      }
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

  async #expectPreface(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("no HTTP/2 preface in time")),
        this.#options.handshakeTimeoutMs ?? 10000,
      );
    });
    try {
      await Promise.race([this.#reader.fill(PREFACE.length), timeout]);
    } finally {
      clearTimeout(timer);
    }
    const got = this.#reader.take(PREFACE.length);
    for (let i = 0; i < PREFACE.length; i++) {
      if (got[i] !== PREFACE[i]) throw new Error("not an HTTP/2 client (no preface)");
    }
  }

  async #readData(length: number, flags: number, streamId: number): Promise<void> {
    const reader = this.#reader;
    if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
    let padding = 0;
    let dataBytes = length;
    if (flags & Flag.PADDED) {
      if (length < 1) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "padded DATA of 0 bytes");
      await reader.fill(1);
      padding = reader.take(1)[0];
      dataBytes = length - 1 - padding;
      if (dataBytes < 0) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA padding too long");
      }
    }
    this.#recvWindow -= length;
    if (this.#recvWindow < 0) {
      throw new ConnectionError(
        ErrorCode.FLOW_CONTROL_ERROR,
        "the peer overran the connection window",
      );
    }
    const stream = this.#streams.get(streamId);
    if (!stream || stream.remoteEnded) {
      if (!stream && streamId > this.#highestStreamId()) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `DATA on idle stream ${streamId}`);
      }
      // A stream that is closed or reset: its bytes are dropped.
      await reader.skip(length - (flags & Flag.PADDED ? 1 : 0));
      this.#received(undefined, length, false);
      if (stream) this.resetStream(stream, ErrorCode.STREAM_CLOSED);
      return;
    }
    stream.recvWindow -= length;
    if (stream.recvWindow < 0) {
      this.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
      stream.events.onReset(ErrorCode.FLOW_CONTROL_ERROR, "the peer overran the stream window");
      await reader.skip(length - (flags & Flag.PADDED ? 1 : 0));
      this.#received(undefined, length, false);
      return;
    }
    let remaining = dataBytes;
    let kept = 0;
    while (remaining > 0) {
      const target = stream.closed ? null : stream.events.target(remaining);
      if (!target) break;
      const n = await reader.readInto(target);
      stream.events.written(n);
      remaining -= n;
      kept += n;
    }
    await reader.skip(remaining + padding);
    // The bytes a sink kept are held until released; the rest is given back now.
    this.#received(stream, kept, true);
    this.#received(stream, length - kept, false);
    if (stream.closed) return;
    if (flags & Flag.END_STREAM) {
      stream.remoteEnded = true;
      if (stream.localEnded) this.#forget(stream);
      stream.events.onEnd();
    }
  }

  #highestStreamId(): number {
    return this.#options.role === "server" ? this.#lastPeerStreamId : this.#nextStreamId - 2;
  }

  async #readHeaders(flags: number, streamId: number, payload: Uint8Array): Promise<void> {
    if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "HEADERS on stream 0");
    let start = 0;
    let end = payload.length;
    if (flags & Flag.PADDED) {
      const padding = payload[0];
      start = 1;
      end -= padding;
    }
    if (flags & Flag.PRIORITY) start += 5;
    if (start > end) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "HEADERS padding too long");
    }
    let block = payload.slice(start, end); // copied out of the staging buffer
    // CONTINUATION frames until END_HEADERS, with nothing in between.
    while (!(flags & Flag.END_HEADERS)) {
      await this.#reader.fill(FRAME_HEADER_BYTES);
      const next = parseFrameHeader(this.#reader.take(FRAME_HEADER_BYTES));
      if (next.type !== FrameType.CONTINUATION || next.streamId !== streamId) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "a header block cut by another frame");
      }
      if (
        block.length + next.length > MAX_HEADER_BLOCK_BYTES || next.length > this.#reader.capacity
      ) {
        throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "a header block over 64 KiB");
      }
      await this.#reader.fill(next.length);
      const more = this.#reader.take(next.length);
      const joined = new Uint8Array(block.length + more.length);
      joined.set(block);
      joined.set(more, block.length);
      block = joined;
      flags = (flags & ~Flag.END_HEADERS) | (next.flags & Flag.END_HEADERS);
    }
    let fields: HeaderField[];
    try {
      fields = this.#decoder.decode(block);
    } catch (error) {
      throw new ConnectionError(ErrorCode.COMPRESSION_ERROR, (error as Error).message);
    }
    const endStream = (flags & Flag.END_STREAM) !== 0;
    const stream = this.#streams.get(streamId);
    if (stream) {
      if (stream.remoteEnded) {
        this.resetStream(stream, ErrorCode.STREAM_CLOSED);
        return;
      }
      if (endStream) {
        stream.remoteEnded = true;
        if (stream.localEnded) this.#forget(stream);
      }
      stream.events.onHeaders(fields, endStream);
      return;
    }
    if (this.#options.role === "client" || streamId % 2 === 0) {
      // A closed stream of ours, or one the server should not open: ignored.
      if (streamId > this.#highestStreamId()) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `HEADERS on idle stream ${streamId}`);
      }
      return;
    }
    if (streamId <= this.#lastPeerStreamId) {
      // Trailers of a stream this side already reset: dropped.
      return;
    }
    this.#lastPeerStreamId = streamId;
    if (this.#closed || this.#goawayReceived) return;
    const limit = this.#options.maxConcurrentStreams ?? 100;
    const stream2 = new Http2Stream(streamId, NO_EVENTS, this.#peerInitialWindow, this.#window);
    if (this.#streams.size >= limit) {
      this.#send([rstStreamFrame(streamId, ErrorCode.REFUSED_STREAM)]).catch(() => {});
      return;
    }
    this.#streams.set(streamId, stream2);
    if (endStream) stream2.remoteEnded = true;
    this.#options.onStream?.(stream2, fields, endStream);
  }

  #control(type: number, flags: number, streamId: number, payload: Uint8Array): void {
    switch (type) {
      case FrameType.SETTINGS: {
        if (streamId !== 0) {
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
        }
        if (flags & Flag.ACK) {
          if (payload.length !== 0) {
            throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
          }
          return;
        }
        const settings = parseSettings(payload);
        if (!settings) {
          throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS of a bad length");
        }
        for (const [id, value] of settings) this.#applySetting(id, value);
        this.#send([settingsFrame(new Map(), true)]).catch(() => {});
        this.#wakeWindowWaiters();
        return;
      }
      case FrameType.WINDOW_UPDATE: {
        if (payload.length !== 4) {
          throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE of a bad length");
        }
        const increment = readU32(payload) & 0x7fffffff;
        if (streamId === 0) {
          if (increment === 0) {
            throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
          }
          this.#sendWindow += increment;
          if (this.#sendWindow > MAX_WINDOW) {
            throw new ConnectionError(
              ErrorCode.FLOW_CONTROL_ERROR,
              "connection window over 2^31-1",
            );
          }
        } else {
          const stream = this.#streams.get(streamId);
          if (!stream) return;
          if (increment === 0 || stream.sendWindow + increment > MAX_WINDOW) {
            const code = increment === 0 ? ErrorCode.PROTOCOL_ERROR : ErrorCode.FLOW_CONTROL_ERROR;
            this.resetStream(stream, code);
            stream.events.onReset(code, "a bad WINDOW_UPDATE from the peer");
            return;
          }
          stream.sendWindow += increment;
        }
        this.#wakeWindowWaiters();
        return;
      }
      case FrameType.PING: {
        if (payload.length !== 8) {
          throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "PING not of 8 bytes");
        }
        if (streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
        if (flags & Flag.ACK) this.#pingSentAt = 0;
        else this.#send([pingFrame(payload.slice(), true)]).catch(() => {});
        return;
      }
      case FrameType.RST_STREAM: {
        if (payload.length !== 4) {
          throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM of a bad length");
        }
        if (streamId === 0) {
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
        }
        const stream = this.#streams.get(streamId);
        if (!stream) return;
        const code = readU32(payload);
        this.#forget(stream);
        stream.events.onReset(code, `stream reset by the peer (${errorCodeName(code)})`);
        return;
      }
      case FrameType.GOAWAY: {
        if (payload.length < 8) {
          throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY too short");
        }
        const last = readU32(payload) & 0x7fffffff;
        const code = readU32(payload, 4);
        const debug = new TextDecoder().decode(payload.subarray(8)).slice(0, 200);
        this.#goawayReceived = true;
        const reason = `the peer is going away (GOAWAY ${errorCodeName(code)}${
          debug ? `: ${debug}` : ""
        })`;
        this.#closeReason = reason;
        for (const stream of [...this.#streams.values()]) {
          if (stream.id > last && stream.id % 2 === this.#nextStreamId % 2) {
            this.#forget(stream);
            stream.events.onReset(ErrorCode.REFUSED_STREAM, reason);
          }
        }
        if (this.#streams.size === 0) this.close(reason);
        return;
      }
      case FrameType.PUSH_PROMISE:
        throw new ConnectionError(
          ErrorCode.PROTOCOL_ERROR,
          "PUSH_PROMISE, which this side disabled",
        );
      case FrameType.CONTINUATION:
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without HEADERS");
      case FrameType.PRIORITY:
        if (payload.length !== 5) {
          throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "PRIORITY not of 5 bytes");
        }
        return;
      default:
        return; // unknown frame types are ignored (RFC 9113 section 4.1)
    }
  }

  #applySetting(id: number, value: number): void {
    switch (id) {
      case Setting.INITIAL_WINDOW_SIZE: {
        if (value > MAX_WINDOW) {
          throw new ConnectionError(
            ErrorCode.FLOW_CONTROL_ERROR,
            "INITIAL_WINDOW_SIZE over 2^31-1",
          );
        }
        const delta = value - this.#peerInitialWindow;
        this.#peerInitialWindow = value;
        for (const stream of this.#streams.values()) stream.sendWindow += delta;
        return;
      }
      case Setting.MAX_FRAME_SIZE:
        if (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_FRAME_SIZE_LIMIT) {
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `MAX_FRAME_SIZE of ${value}`);
        }
        this.#peerMaxFrameSize = value;
        return;
      case Setting.MAX_CONCURRENT_STREAMS:
        this.#peerMaxStreams = value;
        return;
      case Setting.ENABLE_PUSH:
        if (value > 1) {
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `ENABLE_PUSH of ${value}`);
        }
        return;
      default:
        return; // HEADER_TABLE_SIZE: the encoder uses no dynamic table; others are advisory
    }
  }
}
