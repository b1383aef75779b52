#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env --allow-ffi
/**
 * The socket subscriber (the stream mode): one stream socket to
 * `deno task socket:pub`, each frame read whole into one buffer (the kernel's
 * copy, the only one) and verified there.
 *
 *     deno task socket:sub [--endpoint unix:///tmp/framebench-stream.sock] [--slow 0]
 *
 * @module
 */

import { errorLine } from "../common/cli.ts";
import type { Endpoint } from "../common/endpoint.ts";
import type { FrameGeometry } from "../common/frame.ts";
import { isStreamEnd } from "../common/properties.ts";
import type { FrameSubscription, StreamMessage } from "../common/stream.ts";
import { type SubscriberCommand, subscriberMain } from "../common/subscriber_main.ts";
import { connectOrSay } from "../common/connect.ts";
import { DEFAULT_STREAM_ENDPOINT } from "./publisher.ts";
import { decodeHead, HEAD_BYTES, pixelBytes, readFull } from "./wire.ts";

/** A subscription to a socket publisher. */
export class SocketSubscription implements FrameSubscription {
  readonly endpoint: string;
  readonly #conn: Deno.Conn;
  readonly #head = new Uint8Array(HEAD_BYTES);
  /** The frame being read; grows to the largest frame published. */
  #frame: Uint8Array;

  constructor(conn: Deno.Conn, endpoint: Endpoint, geometry: FrameGeometry) {
    this.#conn = conn;
    this.endpoint = endpoint.url;
    this.#frame = new Uint8Array(geometry.frameBytes);
  }

  async next(): Promise<StreamMessage> {
    try {
      return await this.#next();
    } catch (error) {
      // A publisher that died mid-frame, or reset the connection.
      throw new Error(`the publisher at ${this.endpoint} is gone: ${errorLine(error)}`);
    }
  }

  async #next(): Promise<StreamMessage> {
    if (!await readFull(this.#conn, this.#head)) {
      throw new Error("it closed the stream without ending it");
    }
    const head = decodeHead(this.#head);
    if (head.kind !== "frame") throw new Error("the publisher sent a refusal, not a frame");
    const { properties } = head;
    if (isStreamEnd(properties)) return { kind: "end", published: properties.index };
    const bytes = pixelBytes(properties);
    if (bytes > this.#frame.byteLength) this.#frame = new Uint8Array(bytes);
    const frame = this.#frame.subarray(0, bytes);
    await readFull(this.#conn, frame);
    return { kind: "frame", frame, properties };
  }

  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed already */ }
  }
}

/** Subscribes to the socket publisher at `endpoint`; throws one line when nothing listens there. */
export async function subscribeSocket(
  endpoint: Endpoint,
  geometry: FrameGeometry,
): Promise<SocketSubscription> {
  const conn = await connectOrSay(endpoint, "is `deno task socket:pub` running there?");
  return new SocketSubscription(conn, endpoint, geometry);
}

const COMMAND: SubscriberCommand = {
  name: "socket:sub",
  transport: "socket",
  summary: "Receives and verifies the frames of `deno task socket:pub` over a stream socket.",
  endpoint: { default: DEFAULT_STREAM_ENDPOINT, kinds: ["unix", "tcp"] },
  connect: ({ endpoint, options }) => subscribeSocket(endpoint, options.geometry),
};

if (import.meta.main) subscriberMain(COMMAND);
