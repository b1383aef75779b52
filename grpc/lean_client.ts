/**
 * The gRPC echo client's transports on framebench's own HTTP/2
 * (`--impl lean`): one `Echo` call per frame, or one `EchoStream` call for
 * every frame, with the same options, refusals and one-line errors as the
 * grpc-js transports of ./client.ts.
 *
 * Copies of a frame: none on the way out (the message is the encoded fields,
 * ./frame_codec.ts `encodeHead`, followed by the frame's own bytes, cut into
 * DATA frames as views), none on the way in (the reply's DATA payload is read
 * straight into a message buffer, decoded in place and verified there). Only
 * with `--chunk-bytes` is each chunk copied, into the frame being put back
 * together.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { Endpoint } from "../common/endpoint.ts";
import type { FrameTransport, ReturnedFrame } from "../common/echo.ts";
import {
  FLOW_CONTROL_WINDOW_BYTES,
  KEEPALIVE_TIME_MS,
  KEEPALIVE_TIMEOUT_MS,
} from "./channel_options.ts";
import { EchoBase, type EchoOptions, noAnswer } from "./echo_options.ts";
import { FrameAssembly } from "./frame_assembly.ts";
import { FrameCodec } from "./frame_codec.ts";
import { MESSAGE_OVERHEAD_BYTES } from "./frame_message.ts";
import { callFailure, GrpcError } from "./grpc_status.ts";
import { type ClientCall, LeanChannel } from "./lean_call.ts";
import type { ReceivedMessage } from "./message_reader.ts";
import type { FrameMessage } from "./service.ts";
import { ECHO_PATH, ECHO_STREAM_PATH } from "./service_paths.ts";

/** Options for {@linkcode LeanUnaryEcho} and {@linkcode LeanStreamEcho}. */
export type LeanEchoOptions = EchoOptions;

function channelFor(endpoint: Endpoint, options: LeanEchoOptions): LeanChannel {
  return new LeanChannel(endpoint, {
    window: options.window ?? FLOW_CONTROL_WINDOW_BYTES,
    maxReceiveBytes: options.geometry.frameBytes + MESSAGE_OVERHEAD_BYTES,
    keepaliveMs: KEEPALIVE_TIME_MS,
    keepaliveTimeoutMs: KEEPALIVE_TIMEOUT_MS,
  });
}

/** The one-line error of a failed call (see `callFailure`). */
function failure(error: unknown, endpoint: Endpoint, timeoutSeconds: number): Error {
  return error instanceof GrpcError
    ? callFailure(error.code, error.details, endpoint.url, timeoutSeconds)
    : error as Error;
}

/** A frame message decoded in place from a received message. */
function decode(codec: FrameCodec, m: ReceivedMessage): FrameMessage {
  return codec.deserialize(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
}

/** One `Echo` call per frame, up to `inFlight` at once. */
export class LeanUnaryEcho extends EchoBase implements FrameTransport {
  readonly #channel: LeanChannel;
  readonly #codec = new FrameCodec();
  readonly #calls: Promise<{ index: number; frame: Uint8Array; message: ReceivedMessage }>[] = [];
  /** The reply handed out last: its buffer goes back at the next receive(). */
  #lastReply?: ReceivedMessage;

  constructor(options: LeanEchoOptions) {
    super(options, false);
    this.#channel = channelFor(this.settings.target, options);
  }

  send(frame: Uint8Array, index: number): Promise<void> {
    const [message] = this.messages(frame, index);
    const call = (async () => {
      try {
        const c = await this.#channel.call(ECHO_PATH, this.settings.timeoutSeconds * 1000);
        await c.send([this.#codec.encodeHead(message), message.pixels], true);
        const reply = await c.next();
        if (reply === null) throw new GrpcError(13, "the server sent no reply message");
        // Wait for the status: an error after the reply still fails the call.
        const more = await c.next();
        if (more !== null) {
          reply!.release();
          more?.release();
          throw new GrpcError(13, "more than one reply message for a unary call");
        }
        const decoded = decode(this.#codec, reply!);
        return { index: decoded.index, frame: decoded.pixels, message: reply! };
      } catch (error) {
        throw failure(error, this.settings.target, this.settings.timeoutSeconds);
      }
    })();
    call.catch(() => {});
    this.#calls.push(call);
    return Promise.resolve();
  }

  async receive(): Promise<ReturnedFrame> {
    this.#lastReply?.release();
    this.#lastReply = undefined;
    const call = this.#calls.shift();
    if (!call) throw new Error("receive() with no frame in flight");
    const { index, frame, message } = await call;
    this.#lastReply = message;
    return { index, frame };
  }

  close(): void {
    this.#lastReply?.release();
    this.#channel.close();
  }
}

/** One `EchoStream` call carrying every frame, `inFlight` frames ahead of the replies. */
export class LeanStreamEcho extends EchoBase implements FrameTransport {
  readonly #channel: LeanChannel;
  readonly #codec = new FrameCodec();
  #current?: Promise<ClientCall>;
  /** The call each frame in flight was sent on, oldest first. */
  readonly #sentOn: Promise<ClientCall>[] = [];
  #lastReply?: ReceivedMessage;
  /** Chunked mode: where a frame is put back together. */
  #assembly?: FrameAssembly;

  constructor(options: LeanEchoOptions) {
    super(options, true);
    this.#channel = channelFor(this.settings.target, options);
  }

  async send(frame: Uint8Array, index: number): Promise<void> {
    // A call that ended (the server refused a message) is replaced by a new one.
    const current = await this.#current?.catch(() => undefined);
    if (!this.#current || !current || current.status) {
      this.#current = this.#channel.call(ECHO_STREAM_PATH);
      this.#current.catch(() => {});
    }
    const pending = this.#current;
    this.#sentOn.push(pending);
    let call: ClientCall;
    try {
      call = await pending;
    } catch {
      return; // receive() reports it
    }
    for (const message of this.messages(frame, index)) {
      // Resolves once written (the frame's bytes are then free again); a
      // server that stops reading (hung) leaves it waiting for flow-control
      // window, so it has the reply timeout too.
      const sent = call.send([this.#codec.encodeHead(message), message.pixels], false);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), this.settings.timeoutSeconds * 1000);
      });
      const outcome = await Promise.race([
        sent.then(() => "sent" as const, () => "ended" as const),
        late,
      ]);
      clearTimeout(timer);
      if (outcome === "ended") return; // the call ended: receive() reports how
      if (outcome === "late") {
        call.cancel();
        throw noAnswer("progress", this.endpoint, this.settings.timeoutSeconds);
      }
    }
  }

  /** The next reply on `call`; throws when it ended first or none came in time. */
  async #next(call: ClientCall): Promise<ReceivedMessage> {
    let reply: ReceivedMessage | null | undefined;
    try {
      reply = await call.next(this.settings.timeoutSeconds * 1000);
    } catch (error) {
      throw failure(error, this.settings.target, this.settings.timeoutSeconds);
    }
    if (reply === undefined) {
      call.cancel();
      throw noAnswer("reply", this.endpoint, this.settings.timeoutSeconds);
    }
    if (reply === null) throw new Error(`${this.endpoint} ended the stream with frames in flight`);
    return reply;
  }

  async receive(): Promise<ReturnedFrame> {
    this.#lastReply?.release();
    this.#lastReply = undefined;
    const pending = this.#sentOn.shift();
    if (!pending) throw new Error("receive() with no frame in flight");
    let call: ClientCall;
    try {
      call = await pending;
    } catch (error) {
      throw failure(error, this.settings.target, this.settings.timeoutSeconds);
    }
    const firstReply = await this.#next(call);
    const first = decode(this.#codec, firstReply);
    if (first.frameBytes === 0) {
      this.#lastReply = firstReply;
      return { index: first.index, frame: first.pixels };
    }
    // Chunked: put the frame back together (the copy of chunked mode); each
    // reply's buffer goes back once its chunk is copied.
    this.#assembly ??= new FrameAssembly(this.settings.geometry.frameBytes, this.endpoint);
    for (let reply = firstReply;;) {
      let done: boolean;
      try {
        done = this.#assembly.add(decode(this.#codec, reply));
      } finally {
        reply.release();
      }
      if (done) return { index: first.index, frame: this.#assembly.frame };
      reply = await this.#next(call);
    }
  }

  async close(): Promise<void> {
    this.#lastReply?.release();
    const current = await this.#current?.catch(() => undefined);
    await current?.end();
    this.#channel.close();
  }
}
