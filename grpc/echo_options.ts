/**
 * What the gRPC client transports of both implementations (./client.ts on
 * grpc-js, ./lean_client.ts on framebench's own HTTP/2) take, their defaults,
 * and the one-line error of a server that does not answer in time.
 *
 * @module
 */

import type { Endpoint } from "../common/endpoint.ts";
import type { FrameGeometry } from "../common/frame.ts";
import { defaultEndpoint } from "./endpoint.ts";
import { frameMessages } from "./frame_message.ts";
import type { FrameMessage } from "./service.ts";

/** Frames in flight on a stream by default (chosen by measurement, see README.md). */
export const DEFAULT_STREAM_IN_FLIGHT = 3;

/** Options of a gRPC client transport. */
export interface EchoOptions {
  /** Where the server is. Default: TCP 127.0.0.1:50051. */
  endpoint?: Endpoint;
  /** Geometry of the frames sent. */
  geometry: FrameGeometry;
  /** Round trips outstanding at once. Default: 1 (unary), {@linkcode DEFAULT_STREAM_IN_FLIGHT} (stream). */
  inFlight?: number;
  /** Stream only: pixel bytes per message. Default: a whole frame per message. */
  chunkBytes?: number;
  /** Seconds to wait for a reply before reporting the server gone. Default: 5. */
  timeoutSeconds?: number;
  /** HTTP/2 flow-control window, bytes. Default: 64 MiB. */
  window?: number;
}

/** {@linkcode EchoOptions} with their defaults filled in. */
export interface EchoSettings {
  /** Where the server is. */
  target: Endpoint;
  /** Geometry of the frames sent. */
  geometry: FrameGeometry;
  /** Stream only: pixel bytes per message, if frames are sent in chunks (unary: undefined). */
  chunkBytes?: number;
  /** Round trips outstanding at once. */
  inFlight: number;
  /** Seconds to wait for a reply. */
  timeoutSeconds: number;
}

/** Fills in the defaults of `options` for a unary or a `stream` transport. */
export function echoSettings(options: EchoOptions, stream: boolean): EchoSettings {
  return {
    target: options.endpoint ?? defaultEndpoint(),
    geometry: options.geometry,
    chunkBytes: stream ? options.chunkBytes : undefined,
    inFlight: options.inFlight ?? (stream ? DEFAULT_STREAM_IN_FLIGHT : 1),
    timeoutSeconds: options.timeoutSeconds ?? 5,
  };
}

/** What every gRPC client transport has: where it sends, how many frames ahead, its settings. */
export abstract class EchoBase {
  /** The server's endpoint URL, for the record. */
  readonly endpoint: string;
  /** Frames sent ahead of the replies. */
  readonly inFlight: number;
  /** The options, defaults filled in. */
  protected readonly settings: EchoSettings;

  /** Takes `options` for a unary or a `stream` transport. */
  constructor(options: EchoOptions, stream: boolean) {
    this.settings = echoSettings(options, stream);
    this.endpoint = this.settings.target.url;
    this.inFlight = this.settings.inFlight;
  }

  /** The messages of one frame: the frame whole, or its chunks (stream with `chunkBytes`). */
  protected messages(frame: Uint8Array, index: number): FrameMessage[] {
    return frameMessages(frame, index, this.settings.geometry, this.settings.chunkBytes);
  }
}

/** The error of a `what` (a reply, progress) that did not come from `url` within `seconds`. */
export function noAnswer(what: string, url: string, seconds: number): Error {
  return new Error(
    `no ${what} from ${url} within ${seconds} s: is \`deno task grpc:server\` running there?`,
  );
}
