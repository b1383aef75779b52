#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env --allow-ffi
/**
 * The gRPC subscriber (the stream mode): one `FramePublisher/Subscribe` call
 * to `deno task grpc:pub` (or any server of ../proto/frames.proto's
 * `FramePublisher`) on framebench's own HTTP/2 (./lean_call.ts), each frame
 * message read straight from the socket into a message buffer and decoded
 * in place (the pixels are a view: no copy of ours).
 *
 *     deno task grpc:sub [--endpoint tcp://127.0.0.1:50052] [--slow 0]
 *
 * Message buffers come from a small pool and are reused: none is allocated
 * per frame once the stream runs. Its HTTP/2 window is two frames: the
 * connection's window goes back to the publisher only as frames are taken
 * (`release`), so a subscriber that falls behind holds at most about four
 * frames (two taken and not yet released, two in flight) and the publisher
 * is pushed back on (./publisher.ts: it waits, or drops frames for it).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { errorLine } from "../common/cli.ts";
import type { Endpoint } from "../common/endpoint.ts";
import { formatFromCode, type FrameGeometry } from "../common/frame.ts";
import { NO_SLOT } from "../common/properties.ts";
import type { FrameSubscription, StreamMessage } from "../common/stream.ts";
import { type SubscriberCommand, subscriberMain } from "../common/subscriber_main.ts";
import { KEEPALIVE_TIME_MS, KEEPALIVE_TIMEOUT_MS } from "./channel_options.ts";
import { ENDPOINT_KINDS } from "./endpoint.ts";
import { FrameCodec } from "./frame_codec.ts";
import { MESSAGE_OVERHEAD_BYTES } from "./frame_message.ts";
import { GrpcError, Status, statusName } from "./grpc_status.ts";
import { type ClientCall, LeanChannel } from "./lean_call.ts";
import type { ReceivedMessage } from "./message_reader.ts";
import { DEFAULT_PUBLISHER_ENDPOINT } from "./publisher.ts";
import { SUBSCRIBE_PATH } from "./service_paths.ts";

/** Frames of flow-control window a subscriber gives its publisher. */
export const WINDOW_FRAMES = 2;

/** A `Subscribe` call to a gRPC publisher. */
export class GrpcSubscription implements FrameSubscription {
  readonly endpoint: string;
  readonly #channel: LeanChannel;
  readonly #call: ClientCall;
  readonly #codec = new FrameCodec();
  /** The message of the frame handed out last, until it is released. */
  #current?: ReceivedMessage;

  constructor(channel: LeanChannel, call: ClientCall) {
    this.#channel = channel;
    this.#call = call;
    this.endpoint = channel.endpoint.url;
  }

  async next(): Promise<StreamMessage> {
    this.release();
    let message: ReceivedMessage | null | undefined;
    try {
      message = await this.#call.next();
    } catch (error) {
      if (error instanceof GrpcError && error.code === Status.RESOURCE_EXHAUSTED) {
        throw new Error(
          `the publisher at ${this.endpoint} sent a frame larger than --size allows: ${error.details}`,
        );
      }
      // The connection closed (the publisher died), the call was reset, GOAWAY.
      throw new Error(`the publisher at ${this.endpoint} is gone: ${callError(error)}`);
    }
    if (!message) {
      throw new Error(
        `the publisher at ${this.endpoint} ended the call without ending the stream`,
      );
    }
    const { bytes } = message;
    let frame;
    try {
      frame = this.#codec.deserialize(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    } catch (error) {
      message.release();
      throw new Error(`the publisher at ${this.endpoint} sent no Frame: ${errorLine(error)}`);
    }
    if (frame.width === 0 && frame.height === 0) {
      message.release();
      return { kind: "end", published: frame.index };
    }
    const format = formatFromCode(frame.format);
    if (format === undefined) {
      message.release();
      throw new Error(`the publisher at ${this.endpoint} sent pixel format ${frame.format}`);
    }
    this.#current = message;
    return {
      kind: "frame",
      frame: frame.pixels,
      properties: {
        index: frame.index,
        width: frame.width,
        height: frame.height,
        format,
        slot: NO_SLOT,
        sentAt: frame.timestamp,
      },
    };
  }

  /** Gives the frame's buffer back to the pool and its window back to the publisher. */
  release(): boolean {
    this.#current?.release();
    this.#current = undefined;
    return true;
  }

  close(): void {
    this.release();
    // Closing the connection ends the call: the publisher sees the subscriber leave.
    this.#channel.close();
  }
}

/** A failed call in one line: its status and why. */
function callError(error: unknown): string {
  if (!(error instanceof GrpcError)) return errorLine(error);
  return `${statusName(error.code)}: ${error.details}`;
}

/**
 * Subscribes to the gRPC publisher at `endpoint`; throws one line when
 * nothing publishes there.
 */
export async function subscribeGrpc(
  endpoint: Endpoint,
  geometry: FrameGeometry,
): Promise<GrpcSubscription> {
  const maxReceiveBytes = geometry.frameBytes + MESSAGE_OVERHEAD_BYTES;
  const channel = new LeanChannel(endpoint, {
    window: Math.max(65535, WINDOW_FRAMES * maxReceiveBytes),
    maxReceiveBytes,
    keepaliveMs: KEEPALIVE_TIME_MS,
    keepaliveTimeoutMs: KEEPALIVE_TIMEOUT_MS,
  });
  try {
    const call = await channel.call(SUBSCRIBE_PATH);
    // The request: an empty SubscribeRequest.
    await call.send([], true);
    return new GrpcSubscription(channel, call);
  } catch (error) {
    channel.close();
    if (error instanceof GrpcError && error.code === Status.UNAVAILABLE) {
      throw new Error(
        `nothing publishes at ${endpoint.url} (${error.details}): is \`deno task grpc:pub\` running there?`,
      );
    }
    throw new Error(`cannot subscribe at ${endpoint.url}: ${callError(error)}`);
  }
}

const COMMAND: SubscriberCommand = {
  name: "grpc:sub",
  transport: "grpc",
  summary: "Receives and verifies the frames of `deno task grpc:pub` (a gRPC Subscribe call).",
  endpoint: { default: DEFAULT_PUBLISHER_ENDPOINT, kinds: ENDPOINT_KINDS },
  connect: ({ endpoint, options }) => subscribeGrpc(endpoint, options.geometry),
};

if (import.meta.main) subscriberMain(COMMAND);
