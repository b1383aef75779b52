#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env --allow-ffi
/**
 * The gRPC publisher (the stream mode): the server-streaming call
 * `framebench.FramePublisher/Subscribe` of ../proto/frames.proto, served by
 * framebench's own HTTP/2 (./http2_connection.ts, as `--impl lean` serves the
 * echo). Each subscriber's call gets every frame published after it joined as
 * one `Frame` message (index, publish time on the shared clock, geometry,
 * pixels); the stream ends with a 0x0 `Frame` whose index is the number of
 * frames published, then status OK in the trailers.
 *
 *     deno task grpc:pub [--endpoint tcp://127.0.0.1:50052] [--fps 30] [--overflow block|drop]
 *
 * HTTP/2 flow control pushes back: a subscriber gives window back only as it
 * takes frames (./subscriber.ts), so a frame to a subscriber that does not
 * read waits for window.
 * - `--overflow block` (the default): `publish` waits until every
 *   subscriber's stream has taken the frame (within its window, and written
 *   to its socket), so the slowest subscriber sets the pace. No copy of ours:
 *   the frame's bytes are written from the source's pool as DATA payload,
 *   and the write is over before the next `publish`.
 * - `--overflow drop`: a subscriber whose previous frame is not all written
 *   yet (no window, or its socket is full) misses this one. That write may
 *   outlive the frame's place in the source's pool, so each subscriber's
 *   frame is first copied into a buffer of its own (the copy that drop
 *   costs; see `publish`).
 *
 * @module
 */

import { errorLine } from "../common/cli.ts";
import { sharedClockMs } from "../common/clock.ts";
import type { Endpoint } from "../common/endpoint.ts";
import { FORMAT_CODES } from "../common/frame.ts";
import { listenStream, type StreamListening } from "../common/listen.ts";
import type { FrameProperties } from "../common/properties.ts";
import { type PublisherCommand, publisherMain } from "../common/publisher_main.ts";
import { ServerStats } from "../common/server.ts";
import {
  type FanOutOptions,
  FanOutPublisher,
  type FanOutSubscriber,
} from "../common/fan_out_publisher.ts";
import { KEEPALIVE_TIME_MS, KEEPALIVE_TIMEOUT_MS } from "./channel_options.ts";
import { FrameCodec } from "./frame_codec.ts";
import { Status } from "./grpc_status.ts";
import { ErrorCode } from "./http2_frames.ts";
import { Http2Connection, type Http2Stream } from "./http2_connection.ts";
import { refuseRequest } from "./lean_server.ts";
import { RESPONSE_HEADERS } from "./lean_server_call.ts";
import { messagePrefix } from "./message_reader.ts";
import { SUBSCRIBE_PATH } from "./service_paths.ts";
import { ENDPOINT_KINDS } from "./endpoint.ts";

/** Where the publisher listens by default (the echo server's port plus one). */
export const DEFAULT_PUBLISHER_ENDPOINT = "tcp://127.0.0.1:50052";

/**
 * Most ms the end of the stream waits for the subscribers' last frames to be
 * written, and then again for them to hang up.
 */
const END_WAIT_MS = 5000;

/** One subscriber's call. */
interface Subscriber extends FanOutSubscriber {
  connection: Http2Connection;
  stream: Http2Stream;
}

/** Options for {@linkcode openGrpcPublisher}. */
export type GrpcPublisherOptions = FanOutOptions;

/** Publishes frames to every `Subscribe` call on one listener. */
export class GrpcPublisher extends FanOutPublisher<Subscriber> {
  readonly #codec = new FrameCodec();
  readonly #stats = new ServerStats("grpc", "grpc:pub");
  readonly #connections = new Set<Http2Connection>();
  readonly #accepting: Promise<void>;

  constructor(listening: StreamListening, options: GrpcPublisherOptions) {
    super(listening, options);
    this.#accepting = this.#accept(options.endpoint);
  }

  async #accept(endpoint: Endpoint): Promise<void> {
    try {
      for await (const conn of this.listening.listener) {
        if (endpoint.kind === "tcp") (conn as Deno.TcpConn).setNoDelay(true);
        const c: Http2Connection = new Http2Connection(conn, {
          role: "server",
          // The requests are empty: HTTP/2's default window is plenty.
          keepaliveMs: KEEPALIVE_TIME_MS,
          keepaliveTimeoutMs: KEEPALIVE_TIMEOUT_MS,
          onStream: (stream, fields) => this.#onCall(c, stream, new Map(fields)),
        });
        this.#connections.add(c);
        c.closed.then(() => this.#connections.delete(c));
        c.start();
      }
    } catch { /* the listener closed */ }
  }

  /** A new call: a subscriber joins between two frames and starts with the next whole one. */
  #onCall(connection: Http2Connection, stream: Http2Stream, headers: Map<string, string>): void {
    if (refuseRequest(connection, stream, headers, this.#stats, [SUBSCRIBE_PATH])) return;
    const subscriber: Subscriber = { connection, stream };
    stream.events = {
      // The request (an empty SubscribeRequest) asks for nothing: its bytes are dropped.
      target: () => null,
      written: () => {},
      onHeaders: () => {},
      onEnd: () => {},
      // Cancelled by the subscriber, or its connection closed (it died).
      onReset: (_code, reason) => this.#leave(subscriber, reason),
    };
    connection.sendHeaders(stream, RESPONSE_HEADERS, false).catch(() => {});
    this.subscriberSet.add(subscriber);
  }

  async publish(frame: Uint8Array, properties: FrameProperties): Promise<void> {
    await this.untilOneFree();
    const head = this.#codec.encodeHead({
      width: properties.width,
      height: properties.height,
      format: FORMAT_CODES[properties.format],
      index: properties.index,
      timestamp: properties.sentAt,
      pixels: frame,
      offset: 0,
      frameBytes: 0,
    });
    const prefix = messagePrefix(head.byteLength + frame.byteLength);
    const writes: Promise<void>[] = [];
    for (const subscriber of this.subscriberSet) {
      if (this.skips(subscriber)) continue; // still busy: it misses this frame
      // Under drop, the copy that drop costs: this write may wait for the
      // subscriber's window past the frame's place in the source's pool
      // (poolSize - 1 publishes), so it is written from the subscriber's own buffer.
      const pixels = this.pixelsFor(subscriber, frame);
      writes.push(this.#write(subscriber, [prefix, head, pixels]));
    }
    // Under block the writes are over (the frame's bytes free again) before the
    // next publish. A write cut short by a reset stream (the subscriber left)
    // may leave DATA of this frame queued on its connection after that: those
    // bytes go to a stream that its subscriber has reset and drops, so a frame
    // rewritten later in the pool cannot reach a frame anyone takes.
    if (this.overflow === "block") await Promise.all(writes);
  }

  /** Writes one message to a subscriber after the one before; one that is gone leaves. */
  #write(subscriber: Subscriber, parts: Uint8Array[]): Promise<void> {
    return this.chain(
      subscriber,
      () => subscriber.connection.sendData(subscriber.stream, parts, false),
      (error) => this.#leave(subscriber, errorLine(error)),
    );
  }

  #leave(subscriber: Subscriber, reason: string): void {
    if (!this.subscriberSet.delete(subscriber)) return;
    this.log(`grpc:pub: a subscriber left: ${reason}`);
    subscriber.connection.resetStream(subscriber.stream, ErrorCode.CANCEL);
  }

  async end(published: number): Promise<void> {
    const message = { width: 0, height: 0, format: FORMAT_CODES.rgb24, index: published };
    const head = this.#codec.encodeHead({
      ...message,
      timestamp: sharedClockMs(),
      pixels: new Uint8Array(0),
      offset: 0,
      frameBytes: 0,
    });
    const ends = [...this.subscriberSet].map(async (s) => {
      // After the frames still being written to it; then status OK.
      await this.#write(s, [messagePrefix(head.byteLength), head]);
      if (!this.subscriberSet.has(s)) return;
      this.subscriberSet.delete(s);
      await s.connection.sendHeaders(s.stream, [["grpc-status", String(Status.OK)]], true)
        .catch(() => {});
    });
    await within(Promise.all(ends), END_WAIT_MS);
    // Each subscriber hangs up once it has read the end: closing first could
    // reset its connection before it read it all.
    await within(Promise.all([...this.#connections].map((c) => c.closed)), END_WAIT_MS);
  }

  async close(): Promise<void> {
    this.listening.close();
    await this.#accepting;
    this.subscriberSet.clear();
    // (No GOAWAY: see Http2Connection.cancelAndClose.)
    await Promise.all(
      [...this.#connections].map((c) => c.cancelAndClose("the publisher is stopping")),
    );
  }
}

/** Resolves with `promise` or after `ms`, whichever is first. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise((resolve) => timer = setTimeout(resolve, ms))]);
  clearTimeout(timer);
}

/** Listens for subscribers on `endpoint`; throws one line when it is in use. */
export async function openGrpcPublisher(options: GrpcPublisherOptions): Promise<GrpcPublisher> {
  return new GrpcPublisher(await listenStream(options.endpoint), options);
}

const COMMAND: PublisherCommand = {
  name: "grpc:pub",
  transport: "grpc",
  summary:
    "Publishes frames to every `deno task grpc:sub` (any gRPC client of FramePublisher/Subscribe).",
  endpoint: { default: DEFAULT_PUBLISHER_ENDPOINT, kinds: ENDPOINT_KINDS },
  overflow: ["block", "drop"],
  open: ({ endpoint, overflow, fps }) =>
    openGrpcPublisher({ endpoint, overflow, asFastAsTheFastest: fps === "max" }),
};

if (import.meta.main) publisherMain(COMMAND);
