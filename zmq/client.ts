#!/usr/bin/env -S deno run --allow-ffi --allow-read --allow-env
/**
 * The ZeroMQ echo client: sends each frame as two parts (properties, pixels)
 * on a REQ socket and verifies the frame that comes back.
 *
 *     deno task zmq:client [--endpoint URL] [--size 1080p] [--display] [--json]
 *
 * Copies of a frame: none in JavaScript. The pixels are handed to libzmq in
 * place (zero-copy message) and the kernel copies them into the socket; the
 * reply is read by libzmq into a message that the client verifies in place.
 *
 * @module
 */

import { type ClientCommand, clientMain } from "../common/client_main.ts";
import { FrameRefused, type FrameTransport, type ReturnedFrame } from "../common/echo.ts";
import { type Endpoint, parseEndpoint } from "../common/endpoint.ts";
import type { FrameGeometry } from "../common/frame.ts";
import { encodeProperties, NO_SLOT, PROPERTIES_BYTES } from "../common/properties.ts";
import { runtimeInfo } from "../common/record.ts";
import { IpcBuffers } from "./ipc_buffers.ts";
import { Context, libzmqVersion, Message, type Socket, ZMQ } from "./libzmq.ts";
import { DEFAULT_ENDPOINT, SOCKET_BUFFER_BYTES } from "./server.ts";

/** Options for {@linkcode ZmqEcho}. */
export interface ZmqEchoOptions {
  /** Where the server is: an `ipc` or `tcp` endpoint. Default: {@linkcode DEFAULT_ENDPOINT}. */
  endpoint?: Endpoint;
  /** Geometry of the frames sent. */
  geometry: FrameGeometry;
  /** Seconds to wait for a reply before reporting the server gone. Default: 5. */
  timeoutSeconds?: number;
  /** Aborting it ends a wait for a reply early. */
  signal?: AbortSignal;
}

const decoder = new TextDecoder();

/** A REQ socket: one frame in flight, the study's echo. */
export class ZmqEcho implements FrameTransport {
  readonly endpoint: string;
  readonly #geometry: FrameGeometry;
  readonly #timeoutMs: number;
  readonly #signal?: AbortSignal;
  readonly #context = new Context();
  readonly #socket: Socket;
  readonly #buffers: IpcBuffers | undefined;
  readonly #properties = new Uint8Array(PROPERTIES_BYTES);
  #reply: Message[] = [];
  /** When the reply to the frame sent is due, at the latest. */
  #deadline = 0;

  constructor(options: ZmqEchoOptions) {
    const endpoint = options.endpoint ?? parseEndpoint(DEFAULT_ENDPOINT, ["ipc"]);
    this.endpoint = endpoint.url;
    this.#geometry = options.geometry;
    this.#timeoutMs = (options.timeoutSeconds ?? 5) * 1000;
    this.#signal = options.signal;
    this.#socket = this.#context.socket(ZMQ.REQ);
    this.#socket.setOption(ZMQ.SNDBUF, SOCKET_BUFFER_BYTES);
    this.#socket.setOption(ZMQ.RCVBUF, SOCKET_BUFFER_BYTES);
    // ZMQ_SNDBUF/RCVBUF above only reach tcp connections: see ipc_buffers.ts.
    if (endpoint.kind === "ipc") {
      this.#buffers = new IpcBuffers(this.#context, this.#socket, SOCKET_BUFFER_BYTES);
    }
    this.#socket.connect(this.endpoint);
  }

  async send(frame: Uint8Array, index: number): Promise<void> {
    for (const part of this.#reply) part.close();
    this.#reply = [];
    this.#buffers?.update();
    const { width, height, format } = this.#geometry;
    encodeProperties(
      {
        index,
        width,
        height,
        format,
        slot: NO_SLOT,
        sentAt: performance.timeOrigin + performance.now(),
      },
      this.#properties,
    );
    // Zero-copy: libzmq reads the properties and pixels where they are. They
    // are not touched again before the reply is in, by which time the server
    // has the whole request, so the send is over.
    const request = [Message.wrap(this.#properties), Message.wrap(frame)];
    this.#deadline = performance.now() + this.#timeoutMs;
    while (!this.#socket.sendParts(request)) await this.#waitUntil(this.#deadline, ZMQ.POLLOUT);
  }

  async receive(): Promise<ReturnedFrame> {
    await this.#waitUntil(this.#deadline, ZMQ.POLLIN);
    const parts = this.#socket.receiveParts()!;
    this.#reply = parts;
    if (parts.length === 1) {
      const text = decoder.decode(parts[0].bytes);
      let reason = text;
      try {
        reason = JSON.parse(text).error ?? text;
      } catch { /* not JSON: show it as it is */ }
      throw new FrameRefused(reason);
    }
    if (parts.length !== 2) throw new FrameRefused(`reply of ${parts.length} parts, expected 2`);
    // The reply, verified where libzmq received it: no copy.
    return { frame: parts[1].bytes };
  }

  async #waitUntil(deadline: number, events: number): Promise<void> {
    for (;;) {
      if (this.#signal?.aborted) throw new Error("interrupted while waiting for the server");
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(
          `no reply from ${this.endpoint} within ${
            this.#timeoutMs / 1000
          } s: is \`deno task zmq:server\` running there?`,
        );
      }
      // Slices of at most 250 ms, so that Ctrl-C is seen while waiting.
      if (await this.#socket.wait(Math.min(left, 250), events)) return;
    }
  }

  close(): void {
    for (const part of this.#reply) part.close();
    this.#reply = [];
    this.#buffers?.close();
    this.#socket.close();
    this.#context.term();
  }
}

const COMMAND: ClientCommand = {
  name: "zmq:client",
  transport: "zmq",
  summary: "Sends frames to `deno task zmq:server` over ZeroMQ (REQ socket) and verifies the echo.",
  variants: ["reqrep"],
  endpoint: { default: DEFAULT_ENDPOINT, kinds: ["ipc", "tcp"] },
  connect: ({ options, endpoint, signal }) =>
    Promise.resolve(
      new ZmqEcho({
        endpoint,
        geometry: options.geometry,
        timeoutSeconds: options.timeout,
        signal,
      }),
    ),
  runtime: () => runtimeInfo(["zeromq"], { libzmq: libzmqVersion() }),
};

if (import.meta.main) clientMain(COMMAND);
