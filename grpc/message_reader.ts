/**
 * gRPC's length-prefixed messages (PROTOCOL-HTTP2.md: a compressed flag, a
 * 4-byte big-endian length, the message), read from a stream's DATA bytes as
 * an HTTP/2 {@linkcode DataSink}: the 5-byte prefix first, then a buffer of
 * exactly the message's length, into which the connection reads the DATA
 * payload directly (no copy). A message over the limit is refused as soon as
 * its prefix is read, before any of it is buffered.
 *
 * @module
 */

import type { DataSink } from "./http2_connection.ts";
import { Status } from "./grpc_status.ts";

/** Bytes of a message's prefix. */
export const MESSAGE_PREFIX_BYTES = 5;

/** The 5-byte prefix of an uncompressed message of `length` bytes. */
export function messagePrefix(length: number): Uint8Array {
  const out = new Uint8Array(MESSAGE_PREFIX_BYTES);
  new DataView(out.buffer).setUint32(1, length);
  return out;
}

/**
 * Message buffers to reuse: a 6 MB buffer allocated per message would be
 * zero-filled and later collected each time. A buffer given back is handed
 * out again for a message of exactly its length; at most `keep` are kept.
 */
export class BufferPool {
  readonly #free: Uint8Array[] = [];
  readonly #keep: number;

  /** A pool that keeps at most `keep` buffers (default 6). */
  constructor(keep = 6) {
    this.#keep = keep;
  }

  /** A buffer of `length` bytes (its contents are whatever it last held). */
  take(length: number): Uint8Array {
    const i = this.#free.findIndex((b) => b.length === length);
    return i >= 0 ? this.#free.splice(i, 1)[0] : new Uint8Array(length);
  }

  /** Gives `buffer` back for reuse; the oldest one is dropped past the limit. */
  give(buffer: Uint8Array): void {
    if (buffer.length === 0) return;
    this.#free.push(buffer);
    if (this.#free.length > this.#keep) this.#free.shift();
  }
}

/** A received message. */
export interface ReceivedMessage {
  /** Its bytes: a buffer of the pool, valid until {@linkcode ReceivedMessage.release}. */
  bytes: Uint8Array;
  /** Gives the buffer back to the pool and the bytes' flow-control window back to the peer. */
  release(): void;
}

/** Options for {@linkcode MessageReader}. */
export interface MessageReaderOptions {
  /** Most bytes in one message; a larger one is refused with RESOURCE_EXHAUSTED. */
  maxBytes: number;
  /** Where message buffers come from and go back to. */
  pool: BufferPool;
  /** Called with each complete message. */
  onMessage(message: ReceivedMessage): void;
  /** Called once when the stream's bytes cannot be messages; the rest of the stream is dropped. */
  onError(code: number, details: string): void;
  /** Gives back the flow-control window of bytes this reader kept and no longer holds. */
  release(bytes: number): void;
  /**
   * Asks to allocate a buffer of `bytes` for a message whose prefix just
   * came (its bytes have not): false refuses the message with
   * RESOURCE_EXHAUSTED. A connection bounds with it what its streams
   * allocate ahead of their data. Default: always true.
   */
  reserve?(bytes: number): boolean;
  /** Gives back a reservation: the message is complete or dropped. Default: nothing. */
  unreserve?(bytes: number): void;
}

/** Reads gRPC messages from one stream's DATA bytes; see the module documentation. */
export class MessageReader implements DataSink {
  readonly #options: MessageReaderOptions;
  readonly #prefix = new Uint8Array(MESSAGE_PREFIX_BYTES);
  #prefixHave = 0;
  #body?: Uint8Array;
  #bodyHave = 0;
  #failed = false;
  #lastTarget: "prefix" | "body" = "prefix";

  constructor(options: MessageReaderOptions) {
    this.#options = options;
  }

  /** True when a message has begun and is not complete (the stream must not end here). */
  get partial(): boolean {
    return this.#prefixHave > 0 || this.#body !== undefined;
  }

  /** True once the stream's bytes were refused. */
  get failed(): boolean {
    return this.#failed;
  }

  target(max: number): Uint8Array | null {
    if (this.#failed) return null;
    if (this.#body) {
      this.#lastTarget = "body";
      return this.#body.subarray(
        this.#bodyHave,
        this.#bodyHave + Math.min(max, this.#body.length - this.#bodyHave),
      );
    }
    this.#lastTarget = "prefix";
    return this.#prefix.subarray(
      this.#prefixHave,
      this.#prefixHave + Math.min(max, MESSAGE_PREFIX_BYTES - this.#prefixHave),
    );
  }

  written(n: number): void {
    if (this.#lastTarget === "body") {
      this.#bodyHave += n;
      if (this.#bodyHave === this.#body!.length) this.#deliver(this.#body!);
      return;
    }
    this.#prefixHave += n;
    if (this.#prefixHave < MESSAGE_PREFIX_BYTES) return;
    const flag = this.#prefix[0];
    const length = new DataView(this.#prefix.buffer).getUint32(1);
    if (flag !== 0) {
      this.#fail(
        Status.INTERNAL,
        flag === 1
          ? "a compressed message, but no grpc-encoding was agreed"
          : `a message prefix with flags ${flag}`,
      );
      return;
    }
    if (length > this.#options.maxBytes) {
      // Refused before any of it is buffered.
      this.#fail(
        Status.RESOURCE_EXHAUSTED,
        `Received message larger than max (${length} vs ${this.#options.maxBytes})`,
      );
      return;
    }
    if (length === 0) {
      this.#deliver(new Uint8Array(0));
      return;
    }
    if (this.#options.reserve && !this.#options.reserve(length)) {
      this.#fail(
        Status.RESOURCE_EXHAUSTED,
        `a message of ${length} bytes, over what this connection may have in progress`,
      );
      return;
    }
    this.#body = this.#options.pool.take(length);
    this.#bodyHave = 0;
  }

  #deliver(body: Uint8Array): void {
    const wire = MESSAGE_PREFIX_BYTES + body.length;
    if (body.length > 0) this.#options.unreserve?.(body.length);
    this.#body = undefined;
    this.#bodyHave = 0;
    this.#prefixHave = 0;
    let released = false;
    this.#options.onMessage({
      bytes: body,
      release: () => {
        if (released) return;
        released = true;
        this.#options.pool.give(body);
        this.#options.release(wire);
      },
    });
  }

  #fail(code: number, details: string): void {
    this.#drop();
    this.#prefixHave = this.#bodyHave = 0;
    this.#options.onError(code, details);
  }

  /** Drops the message in progress, if any (the stream ended or was reset). */
  discard(): void {
    if (!this.#failed) this.#drop();
  }

  /** Stops reading: what was kept of the message in progress is held no longer. */
  #drop(): void {
    this.#failed = true;
    this.#options.release(this.#prefixHave + this.#bodyHave);
    if (this.#body) {
      this.#options.unreserve?.(this.#body.length);
      this.#options.pool.give(this.#body);
    }
    this.#body = undefined;
  }
}
