/**
 * One call of `FrameEcho` on one stream of framebench's own HTTP/2 server
 * (./lean_server.ts): the request messages read straight into their buffers,
 * checked, and sent back as they are; the status in the trailers; the
 * deadline of `grpc-timeout`; and the per-connection budget of buffers for
 * messages still coming in.
 *
 * Copies of a frame: none of ours. The request's DATA payload is read from
 * the socket straight into a message buffer (./message_reader.ts), decoded in
 * place (./frame_codec.ts: the pixels are a view), and that same buffer is
 * written back as the reply's DATA payload behind a 5-byte prefix.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { ServerStats } from "../common/server.ts";
import type { FrameCodec } from "./frame_codec.ts";
import {
  checkPixelLimit,
  checkWholeFrame,
  FrameSequence,
  MESSAGE_OVERHEAD_BYTES,
} from "./frame_message.ts";
import { encodeGrpcMessage, Status, statusName } from "./grpc_status.ts";
import type { HeaderField } from "./hpack.ts";
import { ErrorCode } from "./http2_frames.ts";
import type { Http2Connection, Http2Stream } from "./http2_connection.ts";
import {
  type BufferPool,
  messagePrefix,
  MessageReader,
  type ReceivedMessage,
} from "./message_reader.ts";
import type { FrameMessage } from "./service.ts";

/** The headers of every response. */
export const RESPONSE_HEADERS: HeaderField[] = [
  [":status", "200"],
  ["content-type", "application/grpc"],
];
/** The longest grpc-message sent (a header block must fit a frame of 16 KiB). */
const MAX_DETAILS = 1000;

/** What every call of one server shares. */
export interface CallContext {
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
export class Reservations {
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
export class ServerCall {
  readonly #c: Http2Connection;
  readonly #stream: Http2Stream;
  readonly #ctx: CallContext;
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
    ctx: CallContext,
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
