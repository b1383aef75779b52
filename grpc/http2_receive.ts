/**
 * The reading side of an HTTP/2 connection (./http2_connection.ts): the
 * client preface (server side), then frame after frame until the socket
 * ends: DATA read into its stream's sink, header blocks decoded and handed to
 * their stream (or opening one), control frames handed to the connection.
 *
 * Zero copy on the way in: the payload of a DATA frame is read by
 * {@linkcode SocketReader.readInto} into the target its stream's
 * `DataSink` gives (a gRPC message's own buffer), except for the
 * bytes that reading a frame header brought into the staging buffer (copied,
 * at most 64 KiB).
 *
 * @module
 */

import { type Control, parseControl } from "./http2_control.ts";
import type { ConnectionFlow } from "./http2_flow.ts";
import {
  ErrorCode,
  Flag,
  FRAME_HEADER_BYTES,
  FrameType,
  MAX_FRAME_SIZE_LIMIT,
  parseFrameHeader,
  PREFACE,
} from "./http2_frames.ts";
import { MAX_HEADER_BLOCK_BYTES, readHeaderBlock } from "./http2_header_block.ts";
import type { Keepalive } from "./http2_keepalive.ts";
import { ConnectionError, type Http2Stream } from "./http2_stream.ts";
import type { StreamTable } from "./http2_stream_table.ts";
import { type HeaderField, HpackDecoder } from "./hpack.ts";
import type { SocketReader } from "./socket_reader.ts";

/** Our SETTINGS_MAX_FRAME_SIZE: the largest there is, so that a 6 MB message is one DATA frame. */
export const LOCAL_MAX_FRAME_SIZE = MAX_FRAME_SIZE_LIMIT;

/** What the reading side uses of its connection. */
export interface ReceiverHost {
  /** `server` expects the client preface first. */
  readonly role: "client" | "server";
  /** The connection's streams. */
  readonly streams: StreamTable;
  /** The connection's flow control. */
  readonly flow: ConnectionFlow;
  /** Told of every frame. */
  readonly keepalive: Keepalive;
  /** Server: most streams a client may have open. */
  readonly maxConcurrentStreams: number;
  /** Server: how long the client may take to send its preface, ms. */
  readonly handshakeTimeoutMs: number;
  /** Whether a stream the peer opens is taken (the connection is not going away). */
  readonly accepting: boolean;
  /** Resets `stream` with `code`. */
  resetStream(stream: Http2Stream, code: number): void;
  /** Refuses a stream the peer opened over the limit (RST_STREAM REFUSED_STREAM). */
  refuseStream(id: number): void;
  /** A control frame arrived. */
  control(control: Control): void;
  /** Server: a stream the peer opened, with its request headers; must set `stream.events`. */
  onStream?: (stream: Http2Stream, fields: HeaderField[], endStream: boolean) => void;
}

/** Reads the frames of one connection; see the module documentation. */
export class FrameReceiver {
  readonly #reader: SocketReader;
  readonly #host: ReceiverHost;
  readonly #decoder = new HpackDecoder({ maxHeaderListSize: MAX_HEADER_BLOCK_BYTES });

  constructor(reader: SocketReader, host: ReceiverHost) {
    this.#reader = reader;
    this.#host = host;
  }

  /**
   * Reads frames until the socket ends or breaks (it then throws), or the
   * peer breaks the protocol ({@linkcode ConnectionError}).
   */
  async run(): Promise<void> {
    const reader = this.#reader;
    if (this.#host.role === "server") await this.#expectPreface();
    for (;;) {
      await reader.fill(FRAME_HEADER_BYTES);
      const header = parseFrameHeader(reader.take(FRAME_HEADER_BYTES));
      this.#host.keepalive.received();
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
        this.#host.control(parseControl(header.type, header.flags, header.streamId, payload));
      }
    }
  }

  async #expectPreface(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("no HTTP/2 preface in time")),
        this.#host.handshakeTimeoutMs,
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
    this.#host.flow.consume(length);
    const stream = this.#host.streams.get(streamId);
    if (!stream || stream.remoteEnded) {
      if (!stream && streamId > this.#host.streams.highestId()) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `DATA on idle stream ${streamId}`);
      }
      // A stream that is closed or reset: its bytes are dropped.
      await reader.skip(length - (flags & Flag.PADDED ? 1 : 0));
      this.#host.flow.received(undefined, length, false);
      if (stream) this.#host.resetStream(stream, ErrorCode.STREAM_CLOSED);
      return;
    }
    stream.recvWindow -= length;
    if (stream.recvWindow < 0) {
      this.#host.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
      stream.events.onReset(ErrorCode.FLOW_CONTROL_ERROR, "the peer overran the stream window");
      await reader.skip(length - (flags & Flag.PADDED ? 1 : 0));
      this.#host.flow.received(undefined, length, false);
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
    this.#host.flow.received(stream, kept, true);
    this.#host.flow.received(stream, length - kept, false);
    if (stream.closed) return;
    if (flags & Flag.END_STREAM) {
      this.#host.streams.endRemote(stream);
      stream.events.onEnd();
    }
  }

  async #readHeaders(flags: number, streamId: number, payload: Uint8Array): Promise<void> {
    if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "HEADERS on stream 0");
    const { block, flags: all } = await readHeaderBlock(this.#reader, flags, streamId, payload);
    flags = all;
    let fields: HeaderField[];
    try {
      fields = this.#decoder.decode(block);
    } catch (error) {
      throw new ConnectionError(ErrorCode.COMPRESSION_ERROR, (error as Error).message);
    }
    const endStream = (flags & Flag.END_STREAM) !== 0;
    const stream = this.#host.streams.get(streamId);
    if (stream) {
      if (stream.remoteEnded) {
        this.#host.resetStream(stream, ErrorCode.STREAM_CLOSED);
        return;
      }
      if (endStream) this.#host.streams.endRemote(stream);
      stream.events.onHeaders(fields, endStream);
      return;
    }
    const host = this.#host;
    const opened = host.streams.openByPeer(streamId, host.maxConcurrentStreams, host.accepting);
    if (opened === "refused") {
      host.refuseStream(streamId);
    } else if (opened) {
      if (endStream) opened.remoteEnded = true;
      host.onStream?.(opened, fields, endStream);
    }
  }
}
