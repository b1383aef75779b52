/**
 * One stream of an HTTP/2 connection (./http2_connection.ts) as its user
 * sees it: where its DATA bytes go, what happens on it, its windows and how
 * far each side has ended it; and the error that ends a whole connection.
 *
 * @module
 */

import type { HeaderField } from "./hpack.ts";

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

/** The events of a stream whose user has not set its own yet: its bytes are dropped. */
export const NO_EVENTS: StreamEvents = {
  target: () => null,
  written: () => {},
  onHeaders: () => {},
  onEnd: () => {},
  onReset: () => {},
};

/** A connection-level error: GOAWAY with `code`, then close. */
export class ConnectionError extends Error {
  /** The HTTP/2 error code of the GOAWAY. */
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
