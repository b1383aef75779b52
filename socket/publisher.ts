#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env --allow-ffi
/**
 * The socket publisher (the stream mode): one connection per subscriber,
 * each frame written to every one of them as its properties and pixels
 * (socket/wire.ts); the stream ends with a 0x0 frame carrying the number of
 * frames published.
 *
 *     deno task socket:pub [--endpoint unix:///tmp/framebench-stream.sock] [--fps 30] [--overflow block]
 *
 * A stream socket pushes back: a subscriber that does not read fills its
 * socket, and the write to it waits.
 * - `--overflow block` (the default, what a socket does): the publisher waits
 *   for every subscriber's write, so the slowest one sets the pace. No copy
 *   in JavaScript: the kernel copies each frame from the source's pool into
 *   each subscriber's socket.
 * - `--overflow drop`: a subscriber still busy with an earlier frame misses
 *   this one. The write to a slow subscriber outlives the frame's place in
 *   the source's pool, so each subscriber's frame is first copied into a
 *   buffer of its own: one more copy per subscriber and frame, the price of
 *   dropping.
 *
 * @module
 */

import { errorLine } from "../common/cli.ts";
import type { FrameProperties } from "../common/properties.ts";
import { encodeProperties, encodeStreamEnd } from "../common/properties.ts";
import { sharedClockMs } from "../common/clock.ts";
import { type PublisherCommand, publisherMain } from "../common/publisher_main.ts";
import {
  type FanOutOptions,
  FanOutPublisher,
  type FanOutSubscriber,
} from "../common/fan_out_publisher.ts";
import { listenStream, type StreamListening } from "../common/listen.ts";
import { HEAD_BYTES, writeFull } from "./wire.ts";

/** Where the publisher listens by default. */
export const DEFAULT_STREAM_ENDPOINT = "unix:///tmp/framebench-stream.sock";

/** One subscriber's connection. */
interface Subscriber extends FanOutSubscriber {
  conn: Deno.Conn;
  /** Properties of the frame being written to it. */
  head: Uint8Array<ArrayBuffer>;
}

/** Options for {@linkcode openSocketPublisher}. */
export type SocketPublisherOptions = FanOutOptions;

/** Publishes frames to every subscriber connected to a stream socket. */
export class SocketPublisher extends FanOutPublisher<Subscriber> {
  readonly #accepting: Promise<void>;

  constructor(listening: StreamListening, options: SocketPublisherOptions) {
    super(listening, options);
    this.#accepting = this.#accept();
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.listening.listener) {
        if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
        // A subscriber joins between two frames: it starts with the next whole one.
        this.subscriberSet.add({ conn, head: new Uint8Array(HEAD_BYTES) });
      }
    } catch { /* the listener closed */ }
  }

  async publish(frame: Uint8Array, properties: FrameProperties): Promise<void> {
    await this.untilOneFree();
    const writes: Promise<void>[] = [];
    for (const subscriber of this.subscriberSet) {
      if (this.skips(subscriber)) continue; // still busy: it misses this frame
      encodeProperties(properties, subscriber.head);
      // Under drop, the copy that drop costs: into the subscriber's own buffer.
      const pixels = this.pixelsFor(subscriber, frame);
      writes.push(this.#write(subscriber, subscriber.head, pixels));
    }
    if (this.overflow === "block") await Promise.all(writes);
  }

  /** Writes one message to a subscriber; a subscriber that is gone is dropped from the set. */
  #write(subscriber: Subscriber, head: Uint8Array, pixels?: Uint8Array): Promise<void> {
    return this.chain(subscriber, async () => {
      await writeFull(subscriber.conn, head);
      if (pixels) await writeFull(subscriber.conn, pixels);
    }, (error) => this.#leave(subscriber, error));
  }

  #leave(subscriber: Subscriber, error: unknown): void {
    if (!this.subscriberSet.delete(subscriber)) return;
    this.log(`socket:pub: a subscriber left: ${errorLine(error)}`);
    try {
      subscriber.conn.close();
    } catch { /* closed already */ }
  }

  async end(published: number): Promise<void> {
    const end = encodeStreamEnd(published, sharedClockMs());
    // After the frames still being written; a subscriber that is gone is skipped.
    await Promise.all([...this.subscriberSet].map((s) => this.#write(s, end)));
    for (const subscriber of this.subscriberSet) {
      await subscriber.conn.closeWrite().catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.listening.close();
    for (const subscriber of this.subscriberSet) {
      try {
        subscriber.conn.close();
      } catch { /* closed already */ }
    }
    this.subscriberSet.clear();
    await this.#accepting;
  }
}

/** Listens for subscribers on `endpoint`; throws one line when it is in use. */
export async function openSocketPublisher(
  options: SocketPublisherOptions,
): Promise<SocketPublisher> {
  return new SocketPublisher(await listenStream(options.endpoint), options);
}

const COMMAND: PublisherCommand = {
  name: "socket:pub",
  transport: "socket",
  summary: "Publishes frames over plain stream sockets to every `deno task socket:sub`.",
  endpoint: { default: DEFAULT_STREAM_ENDPOINT, kinds: ["unix", "tcp"] },
  overflow: ["block", "drop"],
  open: ({ endpoint, overflow, fps }) =>
    openSocketPublisher({ endpoint, overflow, asFastAsTheFastest: fps === "max" }),
};

if (import.meta.main) publisherMain(COMMAND);
