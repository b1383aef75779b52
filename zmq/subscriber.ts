#!/usr/bin/env -S deno run --allow-ffi --allow-read --allow-env
/**
 * The ZeroMQ subscriber (the stream mode): a SUB socket subscribed to every
 * message of `deno task zmq:pub`. Each frame is verified where libzmq
 * received it: no copy in JavaScript (the kernel's copy into libzmq's
 * message is the only one).
 *
 *     deno task zmq:sub [--endpoint ipc:///tmp/framebench-zmq-stream.sock] [--slow 0]
 *
 * ZeroMQ messages arrive whole, so a subscriber that joins mid-stream starts
 * with the next whole frame. A SUB socket reconnects by itself when its
 * publisher goes away; this one watches for that disconnection instead
 * (libzmq's socket monitor) and reports the publisher gone at once.
 *
 * @module
 */

import type { Endpoint } from "../common/endpoint.ts";
import { decodeProperties, isStreamEnd } from "../common/properties.ts";
import type { FrameSubscription, StreamMessage } from "../common/stream.ts";
import { tuneAllocator } from "../common/allocator.ts";
import { type SubscriberCommand, subscriberMain } from "../common/subscriber_main.ts";
import { IpcBuffers } from "./ipc_buffers.ts";
import { Context, type Message, type Socket, ZMQ } from "./libzmq.ts";
import { DEFAULT_STREAM_ENDPOINT, RECEIVE_HWM_FRAMES, streamRuntime } from "./publisher.ts";
import { SOCKET_BUFFER_BYTES } from "./server.ts";

/** Longest wait in one poll, so that the monitor's events and Ctrl-C are seen. */
const POLL_MS = 100;

/** Options of {@linkcode subscribeZmq}. */
export interface ZmqSubscribeOptions {
  /** Ms to wait for the publisher. */
  timeoutMs: number;
  /** Aborting it ends the wait and the subscription. Default: none. */
  signal?: AbortSignal;
  /**
   * Tune this process's malloc for frame-sized messages (common/allocator.ts),
   * as `zmq:sub` does: libzmq allocates each received frame with malloc, and
   * freed blocks are then reused. Default: false.
   */
  tuneAllocator?: boolean;
}

/** A subscription to a ZeroMQ publisher. */
export class ZmqSubscription implements FrameSubscription {
  readonly endpoint: string;
  /** How this process's malloc is set, for the record: `default` or what tuning it said. */
  readonly allocator: string;
  readonly #context = new Context();
  readonly #socket: Socket;
  readonly #monitor: IpcBuffers;
  readonly #signal?: AbortSignal;
  /** The parts of the message last given by `next`, until released. */
  #held: Message[] = [];
  #disconnected = false;
  #closed = false;

  /** Connects to `endpoint` (in the background: see {@linkcode subscribeZmq}). */
  constructor(endpoint: Endpoint, options: Omit<ZmqSubscribeOptions, "timeoutMs"> = {}) {
    this.endpoint = endpoint.url;
    this.#signal = options.signal;
    this.allocator = options.tuneAllocator ? tuneAllocator() : "default";
    this.#socket = this.#context.socket(ZMQ.SUB);
    this.#socket.setOption(ZMQ.RCVHWM, RECEIVE_HWM_FRAMES);
    this.#socket.setOption(ZMQ.RCVBUF, SOCKET_BUFFER_BYTES);
    // Sets the ipc connection's buffers (ZMQ_RCVBUF reaches tcp only) and
    // reports the connection's events.
    this.#monitor = new IpcBuffers(
      this.#context,
      this.#socket,
      SOCKET_BUFFER_BYTES,
      ZMQ.EVENT_CONNECT_RETRIED | ZMQ.EVENT_DISCONNECTED,
    );
    this.#socket.setOptionBytes(ZMQ.SUBSCRIBE, new Uint8Array(0)); // every message
    this.#socket.connect(endpoint.url);
  }

  /**
   * Waits up to `timeoutMs` for the connection; throws one line when nothing
   * publishes there (libzmq's first attempt failed) or the time passed.
   */
  async connected(timeoutMs: number): Promise<void> {
    const giveUpAt = performance.now() + timeoutMs;
    for (;;) {
      const events = this.#monitor.update();
      if (events.includes(ZMQ.EVENT_CONNECTED)) return;
      if (events.includes(ZMQ.EVENT_CONNECT_RETRIED) || performance.now() >= giveUpAt) {
        throw new Error(
          `cannot subscribe at ${this.endpoint}: is \`deno task zmq:pub\` running there?`,
        );
      }
      if (this.#signal?.aborted) throw new Error("interrupted while connecting");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async next(): Promise<StreamMessage> {
    this.release();
    for (;;) {
      // What was received before a disconnection comes first: it is queued already.
      const parts = this.#socket.receiveParts();
      if (parts) return this.#message(parts);
      if (this.#disconnected) {
        throw new Error(`the publisher at ${this.endpoint} closed the stream without ending it`);
      }
      if (this.#signal?.aborted) throw new Error("interrupted");
      await this.#socket.wait(POLL_MS);
      if (this.#monitor.update().includes(ZMQ.EVENT_DISCONNECTED)) this.#disconnected = true;
    }
  }

  #message(parts: Message[]): StreamMessage {
    this.#held = parts;
    const properties = decodeProperties(parts[0].bytes);
    if (isStreamEnd(properties)) return { kind: "end", published: properties.index };
    if (parts.length !== 2) {
      throw new Error(`a frame of ${parts.length} parts, expected 2 (properties, pixels)`);
    }
    // Verified where libzmq received it: no copy. Its size is checked with the pixels.
    return { kind: "frame", frame: parts[1].bytes, properties };
  }

  release(): boolean {
    for (const part of this.#held) part.close();
    this.#held = [];
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.release();
    this.#monitor.close();
    this.#socket.close();
    this.#context.term();
  }
}

/**
 * Subscribes to the publisher at `endpoint`; throws one line when nothing
 * publishes there within `timeoutMs`.
 */
export async function subscribeZmq(
  endpoint: Endpoint,
  options: ZmqSubscribeOptions,
): Promise<ZmqSubscription> {
  const subscription = new ZmqSubscription(endpoint, options);
  try {
    await subscription.connected(options.timeoutMs);
  } catch (error) {
    subscription.close();
    throw error;
  }
  return subscription;
}

const COMMAND: SubscriberCommand<ZmqSubscription> = {
  name: "zmq:sub",
  transport: "zmq",
  summary: "Receives and verifies the frames of `deno task zmq:pub` over ZeroMQ (SUB socket).",
  endpoint: { default: DEFAULT_STREAM_ENDPOINT, kinds: ["ipc", "tcp"] },
  connect: ({ endpoint, options, signal }) =>
    subscribeZmq(endpoint, { timeoutMs: options.timeout * 1000, signal, tuneAllocator: true }),
  runtime: streamRuntime,
};

if (import.meta.main) subscriberMain(COMMAND);
