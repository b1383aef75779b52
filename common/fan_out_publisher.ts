/**
 * The base of a publisher that writes each frame to each subscriber over a
 * connection of its own (socket/, grpc/): the listener, the subscribers with
 * the write in progress to each (chained, so that a subscriber's messages go
 * out in order), and what `--overflow` does with one that is still busy. A
 * transport's publisher adds how it accepts subscribers and its hot path:
 * `publish`, its write, `end`.
 *
 * @module
 */

import type { Endpoint } from "./endpoint.ts";
import type { StreamListening } from "./listen.ts";
import type { FrameProperties } from "./properties.ts";
import type { FramePublisher } from "./stream.ts";
import type { Overflow } from "./stream_record.ts";

/** Options of a publisher that writes to each subscriber's connection. */
export interface FanOutOptions {
  /** Where to listen: a `unix` or `tcp` endpoint. */
  endpoint: Endpoint;
  /** What a subscriber that cannot keep up gets. Default: `block`. */
  overflow?: Overflow;
  /** Under `drop` at `max`, each frame waits for a subscriber to be free. Default: false. */
  asFastAsTheFastest?: boolean;
  /** Where a subscriber's leaving is told. Default: stderr. */
  log?: (line: string) => void;
}

/** One subscriber, as a {@linkcode FanOutPublisher} keeps it. */
export interface FanOutSubscriber {
  /** The write in progress, if any. */
  writing?: Promise<void>;
  /** Under `drop`: the subscriber's own copy of the frame being written to it. */
  copy?: Uint8Array;
}

/** A publisher whose subscribers, of type `S`, each have a connection of their own. */
export abstract class FanOutPublisher<S extends FanOutSubscriber> implements FramePublisher {
  readonly endpoint: string;
  /** Where subscribers connect. */
  protected readonly listening: StreamListening;
  /** What a subscriber that cannot keep up gets. */
  protected readonly overflow: Overflow;
  /** Where a subscriber's leaving is told. */
  protected readonly log: (line: string) => void;
  /** The subscribers connected now. */
  protected readonly subscriberSet = new Set<S>();
  readonly #waitForOne: boolean;

  constructor(listening: StreamListening, options: FanOutOptions) {
    this.listening = listening;
    this.endpoint = listening.url;
    this.overflow = options.overflow ?? "block";
    this.#waitForOne = this.overflow === "drop" && (options.asFastAsTheFastest ?? false);
    this.log = options.log ?? ((line) => console.error(line));
  }

  get subscribers(): number {
    return this.subscriberSet.size;
  }

  abstract publish(frame: Uint8Array, properties: FrameProperties): Promise<void>;
  abstract end(published: number): Promise<void>;
  abstract close(): Promise<void>;

  /** Under `drop` at `max`: waits until a subscriber at least is free to take the next frame. */
  protected async untilOneFree(): Promise<void> {
    if (!this.#waitForOne) return;
    const busy = [...this.subscriberSet].map((s) => s.writing);
    if (busy.length > 0 && busy.every((w) => w)) await Promise.race(busy);
  }

  /** Whether `subscriber` misses the next frame: under `drop`, while it is still busy with one. */
  protected skips(subscriber: S): boolean {
    return this.overflow === "drop" && subscriber.writing !== undefined;
  }

  /**
   * The pixels to write to `subscriber`: `frame` itself under `block` (the
   * write is over before the next publish); under `drop`, a copy of `frame`
   * in the subscriber's own buffer, the copy that drop costs: the write may
   * outlive the frame's place in the source's pool.
   */
  protected pixelsFor(subscriber: S, frame: Uint8Array): Uint8Array {
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
  protected chain(
    subscriber: S,
    send: () => Promise<void>,
    leave: (error: unknown) => void,
  ): Promise<void> {
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
