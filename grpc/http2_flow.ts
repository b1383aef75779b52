/**
 * HTTP/2 flow control of one connection (RFC 9113 section 5.2), both ways:
 * what this side may still send (the connection's window; each stream's is
 * on its {@linkcode Http2Stream}), and when to give window back to the peer.
 *
 * Each stream's window is given back as its bytes arrive; the connection's
 * window is given back only while the bytes received and not yet released by
 * their user stay under a budget, so that a peer that sends and never reads
 * cannot make this side hold more than the budget plus one window.
 *
 * @module
 */

import { DEFAULT_WINDOW, ErrorCode, MAX_WINDOW, windowUpdateFrame } from "./http2_frames.ts";
import { ConnectionError, type Http2Stream } from "./http2_stream.ts";

/** The connection-level windows of one connection, and the giving back of received bytes. */
export class ConnectionFlow {
  /** Bytes this side may still send on the connection. */
  sendWindow: number = DEFAULT_WINDOW;
  /** Bytes the peer may still send on the connection. */
  recvWindow: number = DEFAULT_WINDOW;
  /** This side's receive window of each stream and of the connection. */
  readonly window: number;
  readonly #heldBudget: number;
  readonly #send: (frame: Uint8Array) => void;
  /** Received bytes whose connection window has not been given back yet. */
  #unacked = 0;
  /** Received bytes that their user holds (not released yet). */
  #held = 0;
  #waiters: (() => void)[] = [];

  /**
   * `window`: this side's receive window; `heldBudget`: the most bytes held
   * by their users while connection window is still given back; `send`
   * writes a WINDOW_UPDATE frame.
   */
  constructor(window: number, heldBudget: number, send: (frame: Uint8Array) => void) {
    this.window = window;
    this.#heldBudget = heldBudget;
    this.#send = send;
  }

  /** Counts a DATA frame of `length` bytes against the connection's receive window. */
  consume(length: number): void {
    this.recvWindow -= length;
    if (this.recvWindow < 0) {
      throw new ConnectionError(
        ErrorCode.FLOW_CONTROL_ERROR,
        "the peer overran the connection window",
      );
    }
  }

  /** Counts `n` received bytes of `stream`: given back at once (`held` false) or when released. */
  received(stream: Http2Stream | undefined, n: number, held: boolean): void {
    if (n === 0) return;
    if (held) this.#held += n;
    this.#unacked += n;
    this.#giveBack();
    if (stream && !stream.closed && !stream.remoteEnded) {
      stream.unacked += n;
      if (stream.unacked >= this.window / 2) {
        stream.recvWindow += stream.unacked;
        this.#send(windowUpdateFrame(stream.id, stream.unacked));
        stream.unacked = 0;
      }
    }
  }

  /** `bytes` held by their user are released: their connection window may go back. */
  release(bytes: number): void {
    this.#held -= bytes;
    this.#giveBack();
  }

  /** A WINDOW_UPDATE of the connection from the peer. */
  grow(increment: number): void {
    if (increment === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
    this.sendWindow += increment;
    if (this.sendWindow > MAX_WINDOW) {
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "connection window over 2^31-1");
    }
    this.wake();
  }

  /** Resolves at the next {@linkcode ConnectionFlow.wake}: a window grew, or a stream ended. */
  wait(): Promise<void> {
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Wakes every sender waiting for window. */
  wake(): void {
    const waiters = this.#waiters.splice(0);
    for (const wake of waiters) wake();
  }

  #giveBack(): void {
    // Only while the bytes held stay within the budget (the module documentation).
    const allowed = Math.max(0, this.#heldBudget - this.#held);
    const n = Math.min(this.#unacked, allowed);
    if (n > 0 && this.#unacked >= this.window / 2) {
      this.#unacked -= n;
      this.recvWindow += n;
      this.#send(windowUpdateFrame(0, n));
    }
  }
}
