#!/usr/bin/env -S deno run --allow-ffi --allow-read --allow-write --allow-env --allow-net
/**
 * The ZeroMQ publisher (the stream mode): one PUB socket (an XPUB, to see who
 * subscribes), any number of `deno task zmq:sub`. Each frame is one message
 * of two parts, its 32 bytes of properties (common/properties.ts) and its
 * pixels; the stream ends with a one-part message, the properties of
 * `encodeStreamEnd` (a 0x0 frame whose index is the number published).
 *
 *     deno task zmq:pub [--endpoint ipc:///tmp/framebench-zmq-stream.sock] [--fps 30] [--subscribers N]
 *
 * Back-pressure: ZeroMQ's PUB never waits. Each subscriber has a queue of
 * {@linkcode SEND_HWM_FRAMES} frames in the publisher (its send high-water
 * mark), then the kernel's socket buffers, then
 * {@linkcode RECEIVE_HWM_FRAMES} in the subscriber; a subscriber whose queue
 * is full misses the frame, and libzmq leaves it out until it has read half
 * its queue. So `--overflow drop` is the only choice. At `--fps max` the
 * publisher waits for room in every subscriber's queue, but at most
 * {@linkcode MAX_ROOM_WAIT_MS}: a subscriber still full then misses the frame
 * (ZeroMQ tells a publisher only whether all its subscribers have room, not
 * whether one has).
 *
 * The copy: each frame is copied once into a message that libzmq owns, shared
 * by every subscriber's queue (libzmq counts references). A slow subscriber's
 * queue keeps a frame for as long as it takes to read it, longer than the
 * source's pool keeps the frame's bytes, so sending the pool frame in place
 * (zero-copy) would let a queued frame be restamped: zmq/stream_test.ts's slow
 * subscriber would see it.
 *
 * Subscribers are counted from the subscribe and unsubscribe messages the
 * XPUB passes up (`ZMQ_XPUB_VERBOSER`: every one, and an unsubscribe when a
 * subscriber's connection closes): a subscriber counts once its subscription
 * is in, i.e. once the next frame reaches it, and stops counting when it
 * dies. (libzmq's socket monitor counts connections instead: one counts before
 * its subscription arrives, and a peer that is not a subscriber counts too.)
 *
 * @module
 */

import { removeOnExit } from "../common/cleanup.ts";
import { sharedClockMs } from "../common/clock.ts";
import type { Endpoint } from "../common/endpoint.ts";
import {
  encodeProperties,
  encodeStreamEnd,
  type FrameProperties,
  PROPERTIES_BYTES,
} from "../common/properties.ts";
import { tuneAllocator } from "../common/allocator.ts";
import { type PublisherCommand, publisherMain } from "../common/publisher_main.ts";
import { type RuntimeInfo, runtimeInfo } from "../common/record.ts";
import type { FramePublisher } from "../common/stream.ts";
import { listenPrivately, unixSocketInUse } from "../common/unix_socket.ts";
import { IpcBuffers } from "./ipc_buffers.ts";
import { Context, libzmqVersion, Message, type Socket, ZMQ } from "./libzmq.ts";
import { SOCKET_BUFFER_BYTES } from "./server.ts";

/** Where the publisher binds by default. */
export const DEFAULT_STREAM_ENDPOINT = "ipc:///tmp/framebench-zmq-stream.sock";

/**
 * Frames queued in the publisher for each subscriber (`ZMQ_SNDHWM`): enough
 * to ride out a subscriber's hiccup of a few frame periods (67 ms at 60 fps),
 * few enough that a slow subscriber holds little memory and sees fresh frames.
 */
export const SEND_HWM_FRAMES = 4;

/** Frames queued in a subscriber (`ZMQ_RCVHWM`): the next one is ready when it is done with one. */
export const RECEIVE_HWM_FRAMES = 2;

/** At `--fps max`, the longest a frame waits for a full subscriber before that one misses it. */
export const MAX_ROOM_WAIT_MS = 20;

/** The longest `end` waits for every subscriber to have the end (and leave). */
export const END_TIMEOUT_MS = 5000;

/** How often `end` sends the end again while subscribers have not left. */
const END_RESEND_MS = 20;

/** Options for {@linkcode openZmqPublisher}. */
export interface ZmqPublisherOptions {
  /** Where to bind: an `ipc` or `tcp` endpoint. */
  endpoint: Endpoint;
  /**
   * Wait up to {@linkcode MAX_ROOM_WAIT_MS} for room in every subscriber's
   * queue (`--fps max`). Default: false, send at once.
   */
  waitForRoom?: boolean;
  /** Where a late end is told. Default: stderr. */
  log?: (line: string) => void;
  /**
   * Tune this process's malloc for frame-sized messages (common/allocator.ts),
   * as `zmq:pub` does: libzmq allocates each frame's message with malloc, and
   * freed 6 MB blocks are then reused instead of faulted in anew. Default: false.
   */
  tuneAllocator?: boolean;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Publishes frames to every ZeroMQ subscriber connected to its XPUB socket. */
export class ZmqPublisher implements FramePublisher {
  readonly endpoint: string;
  /** How this process's malloc is set, for the record: `default` or what tuning it said. */
  readonly allocator: string;
  readonly #context: Context;
  readonly #socket: Socket;
  readonly #buffers: IpcBuffers | undefined;
  readonly #removeSocketFile: (() => void) | undefined;
  readonly #waitForRoom: boolean;
  readonly #log: (line: string) => void;
  readonly #head = new Uint8Array(PROPERTIES_BYTES);
  #subscribed = 0;
  #closed = false;

  constructor(
    endpoint: Endpoint,
    context: Context,
    socket: Socket,
    buffers: IpcBuffers | undefined,
    removeSocketFile: (() => void) | undefined,
    options: ZmqPublisherOptions,
  ) {
    this.endpoint = endpoint.url;
    this.#context = context;
    this.#socket = socket;
    this.#buffers = buffers;
    this.#removeSocketFile = removeSocketFile;
    this.#waitForRoom = options.waitForRoom ?? false;
    this.#log = options.log ?? ((line) => console.error(line));
    this.allocator = options.tuneAllocator ? tuneAllocator() : "default";
    // Sends fail (EAGAIN) instead of dropping while a subscriber has no room: see #sendWithRoom.
    if (this.#waitForRoom) socket.setOption(ZMQ.XPUB_NODROP, 1);
  }

  get subscribers(): number {
    this.#update();
    return this.#subscribed;
  }

  /** Reads the subscribe (byte 1) and unsubscribe (byte 0) messages that came in. */
  #update(): void {
    if (this.#closed) return;
    this.#buffers?.update();
    for (let parts = this.#socket.receiveParts(); parts; parts = this.#socket.receiveParts()) {
      const first = parts[0].bytes;
      // Subscribers subscribe to every frame (the empty topic); other topics are ignored.
      if (first.byteLength === 1 && first[0] === 1) this.#subscribed++;
      if (first.byteLength === 1 && first[0] === 0) {
        this.#subscribed = Math.max(0, this.#subscribed - 1);
      }
      for (const part of parts) part.close();
    }
  }

  async publish(frame: Uint8Array, properties: FrameProperties): Promise<void> {
    this.#update();
    encodeProperties(properties, this.#head);
    // The copy (see the module's comment): queues may keep the frame longer
    // than the source's pool keeps its bytes. One copy, whatever the number
    // of subscribers: libzmq shares the message between their queues.
    const parts = [Message.copyOf(this.#head), Message.copyOf(frame)];
    if (this.#waitForRoom) await this.#sendWithRoom(parts);
    // PUB never blocks: a subscriber whose queue is full misses the frame.
    else this.#socket.sendParts(parts);
  }

  /**
   * Sends `parts` once every subscriber has room (`ZMQ_XPUB_NODROP` makes the
   * send fail until then), or after {@linkcode MAX_ROOM_WAIT_MS} to those that
   * have. libzmq then leaves out the full ones, which failed that send, until
   * they have read half their queue, so that the next frames wait only for
   * the others.
   */
  async #sendWithRoom(parts: Message[]): Promise<void> {
    const giveUpAt = performance.now() + MAX_ROOM_WAIT_MS;
    while (!this.#socket.sendParts(parts, "keep")) {
      if (performance.now() >= giveUpAt) {
        this.#socket.setOption(ZMQ.XPUB_NODROP, 0);
        this.#socket.sendParts(parts);
        this.#socket.setOption(ZMQ.XPUB_NODROP, 1);
        return;
      }
      // No poll tells when a subscriber's queue has room: try again shortly.
      await pause(1);
      this.#update();
    }
  }

  /**
   * Sends the end to every subscriber, again every few ms, until each has
   * left (a subscriber leaves when it gets the end) or
   * {@linkcode END_TIMEOUT_MS} passed: a slow subscriber's queue may be full
   * when the end is first sent, and PUB would drop it there.
   */
  async end(published: number): Promise<void> {
    if (this.#waitForRoom) this.#socket.setOption(ZMQ.XPUB_NODROP, 0);
    const giveUpAt = performance.now() + END_TIMEOUT_MS;
    const end = new Uint8Array(PROPERTIES_BYTES);
    while (this.subscribers > 0) {
      if (performance.now() >= giveUpAt) {
        const n = this.#subscribed;
        this.#log(
          `zmq:pub: ${n} subscriber${n === 1 ? "" : "s"} did not take the end within ${
            END_TIMEOUT_MS / 1000
          } s`,
        );
        return;
      }
      encodeStreamEnd(published, sharedClockMs(), end);
      this.#socket.sendParts([Message.copyOf(end)]);
      await pause(END_RESEND_MS);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#buffers?.close();
    this.#socket.close(); // linger 0: what is still queued is dropped
    this.#context.term();
    this.#removeSocketFile?.();
  }
}

/** Binds a publisher to `options.endpoint`; throws one line when it is in use. */
export async function openZmqPublisher(options: ZmqPublisherOptions): Promise<ZmqPublisher> {
  const { endpoint } = options;
  const ipcPath = endpoint.kind === "ipc" ? endpoint.path : undefined;
  if (ipcPath && await unixSocketInUse(ipcPath)) {
    throw new Error(`${endpoint.url} is in use by another publisher`);
  }
  const context = new Context();
  let socket: Socket | undefined;
  let buffers: IpcBuffers | undefined;
  try {
    socket = context.socket(ZMQ.XPUB);
    socket.setOption(ZMQ.XPUB_VERBOSER, 1);
    socket.setOption(ZMQ.SNDHWM, SEND_HWM_FRAMES);
    socket.setOption(ZMQ.SNDBUF, SOCKET_BUFFER_BYTES);
    // ZMQ_SNDBUF above only reaches tcp connections: see ipc_buffers.ts.
    if (ipcPath) buffers = new IpcBuffers(context, socket, SOCKET_BUFFER_BYTES);
    const xpub = socket;
    let removeSocketFile: (() => void) | undefined;
    if (ipcPath) {
      await listenPrivately(ipcPath, (at) => xpub.bind(`ipc://${at}`));
      // libzmq 4.3.5 leaves the ipc socket file behind when the socket closes.
      removeSocketFile = removeOnExit(ipcPath);
    } else {
      xpub.bind(endpoint.url);
    }
    return new ZmqPublisher(endpoint, context, xpub, buffers, removeSocketFile, options);
  } catch (error) {
    buffers?.close();
    socket?.close();
    context.term();
    throw error;
  }
}

/** The versions in a stream record: libzmq's, and how the process's malloc was set. */
export function streamRuntime(opened: { allocator: string }): RuntimeInfo {
  return runtimeInfo(["zeromq"], { libzmq: libzmqVersion(), allocator: opened.allocator });
}

const COMMAND: PublisherCommand<ZmqPublisher> = {
  name: "zmq:pub",
  transport: "zmq",
  summary: "Publishes frames over ZeroMQ (PUB/SUB) to every `deno task zmq:sub`.",
  endpoint: { default: DEFAULT_STREAM_ENDPOINT, kinds: ["ipc", "tcp"] },
  // PUB drops at its high-water mark: no subscriber can hold the publisher back.
  overflow: ["drop"],
  open: ({ endpoint, fps }) =>
    openZmqPublisher({ endpoint, waitForRoom: fps === "max", tuneAllocator: true }),
  runtime: streamRuntime,
};

if (import.meta.main) publisherMain(COMMAND);
