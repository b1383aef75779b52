/**
 * The subscribers of a publisher that writes each frame to each of them over
 * a connection of its own (socket/, grpc/): the write in progress to each,
 * chained so that a subscriber's messages go out in order, and what
 * `--overflow` does with one that is still busy.
 *
 * @module
 */

import type { Endpoint } from "./endpoint.ts";
import type { Overflow } from "./stream_record.ts";

/** Options of a publisher that writes to each subscriber's connection. */
export interface StreamPublisherOptions {
  /** Where to listen: a `unix` or `tcp` endpoint. */
  endpoint: Endpoint;
  /** What a subscriber that cannot keep up gets. Default: `block`. */
  overflow?: Overflow;
  /** Under `drop` at `max`, each frame waits for a subscriber to be free. Default: false. */
  asFastAsTheFastest?: boolean;
  /** Where a subscriber's leaving is told. Default: stderr. */
  log?: (line: string) => void;
}

/** One subscriber, as a {@linkcode SubscriberSet} keeps it. */
export interface WrittenSubscriber {
  /** The write in progress, if any. */
  writing?: Promise<void>;
  /** Under `drop`: the subscriber's own copy of the frame being written to it. */
  copy?: Uint8Array;
}

/** The subscribers of a publisher, each with its write in progress. */
export class SubscriberSet<S extends WrittenSubscriber> implements Iterable<S> {
  /** What a subscriber that cannot keep up gets. */
  readonly overflow: Overflow;
  readonly #waitForOne: boolean;
  readonly #set = new Set<S>();

  constructor(options: Pick<StreamPublisherOptions, "overflow" | "asFastAsTheFastest">) {
    this.overflow = options.overflow ?? "block";
    this.#waitForOne = this.overflow === "drop" && (options.asFastAsTheFastest ?? false);
  }

  /** Subscribers connected. */
  get size(): number {
    return this.#set.size;
  }

  /** Adds a subscriber: it joins between two frames and starts with the next whole one. */
  add(subscriber: S): void {
    this.#set.add(subscriber);
  }

  /** Removes a subscriber; false when it was gone already. */
  delete(subscriber: S): boolean {
    return this.#set.delete(subscriber);
  }

  /** Whether `subscriber` is still here. */
  has(subscriber: S): boolean {
    return this.#set.has(subscriber);
  }

  /** Forgets every subscriber. */
  clear(): void {
    this.#set.clear();
  }

  [Symbol.iterator](): Iterator<S> {
    return this.#set[Symbol.iterator]();
  }

  /** Under `drop` at `max`: waits until a subscriber at least is free to take the next frame. */
  async untilOneFree(): Promise<void> {
    if (!this.#waitForOne) return;
    const busy = [...this.#set].map((s) => s.writing);
    if (busy.length > 0 && busy.every((w) => w)) await Promise.race(busy);
  }

  /** Whether `subscriber` misses the next frame: under `drop`, while it is still busy with one. */
  skips(subscriber: S): boolean {
    return this.overflow === "drop" && subscriber.writing !== undefined;
  }

  /**
   * The pixels to write to `subscriber`: `frame` itself under `block` (the
   * write is over before the next publish); under `drop`, a copy of `frame`
   * in the subscriber's own buffer, the copy that drop costs: the write may
   * outlive the frame's place in the source's pool.
   */
  pixelsFor(subscriber: S, frame: Uint8Array): Uint8Array {
    if (this.overflow === "block") return frame;
    if (subscriber.copy?.byteLength !== frame.byteLength) {
      subscriber.copy = new Uint8Array(frame.byteLength);
    }
    subscriber.copy.set(frame);
    return subscriber.copy;
  }

  /**
   * Runs `send` once `subscriber`'s write before it is over; a failed send
   * calls `leave`. Resolves when this write is over, failed or not.
   */
  write(subscriber: S, send: () => Promise<void>, leave: (error: unknown) => void): Promise<void> {
    const previous = subscriber.writing ?? Promise.resolve();
    const writing = previous
      .then(send)
      .catch(leave)
      .finally(() => {
        if (subscriber.writing === writing) subscriber.writing = undefined;
      });
    subscriber.writing = writing;
    return writing;
  }
}
