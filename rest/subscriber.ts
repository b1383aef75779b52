#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env --allow-ffi
/**
 * The REST subscriber (the stream mode): `fetch` of `GET /stream` from
 * `deno task rest:pub`, its `multipart/x-mixed-replace` body read part by
 * part, each frame into one reused buffer (rest/stream_parts.ts: the
 * runtime's copy out of its socket buffers, the only one) and verified there.
 *
 *     deno task rest:sub [--endpoint http://127.0.0.1:8081 | unix:///PATH] [--slow 0]
 *
 * @module
 */

import { errorLine } from "../common/cli.ts";
import type { Endpoint } from "../common/endpoint.ts";
import type { FrameGeometry } from "../common/frame.ts";
import type { FrameSubscription, StreamMessage } from "../common/stream.ts";
import { type SubscriberCommand, subscriberMain } from "../common/subscriber_main.ts";
import { REST_ENDPOINT } from "./endpoint.ts";
import { HttpLink } from "./http_link.ts";
import { DEFAULT_STREAM_ENDPOINT, STREAM_PATH } from "./publisher.ts";
import { BOUNDARY, PartReader } from "./stream_parts.ts";

/** A subscription to a REST publisher: one long response. */
export class RestSubscription implements FrameSubscription {
  readonly endpoint: string;
  readonly #link: HttpLink;
  readonly #parts: PartReader;

  constructor(link: HttpLink, body: ReadableStream<Uint8Array>, geometry: FrameGeometry) {
    this.#link = link;
    this.endpoint = link.endpoint;
    this.#parts = new PartReader(body, geometry.frameBytes);
  }

  async next(): Promise<StreamMessage> {
    try {
      return await this.#parts.next();
    } catch (error) {
      // Cut mid-frame, reset, or not the stream format: at once, not after --timeout.
      throw new Error(`the publisher at ${this.endpoint} is gone: ${errorLine(error)}`);
    }
  }

  async close(): Promise<void> {
    await this.#parts.cancel();
    this.#link.close();
  }
}

/** Subscribes to the REST publisher at `endpoint`; throws one line when nothing publishes there. */
export async function subscribeRest(
  endpoint: Endpoint,
  geometry: FrameGeometry,
  options: { timeoutSeconds: number; signal?: AbortSignal },
): Promise<RestSubscription> {
  const link = new HttpLink(
    endpoint,
    options.timeoutSeconds,
    options.signal,
    "is `deno task rest:pub` running there?",
  );
  try {
    const response = await link.fetchStream(STREAM_PATH);
    const type = response.headers.get("content-type") ?? "";
    if (!type.startsWith("multipart/x-mixed-replace") || !type.includes(`boundary=${BOUNDARY}`)) {
      await response.body?.cancel();
      throw new Error(`${link.endpoint}${STREAM_PATH} answers "${type}", not a framebench stream`);
    }
    return new RestSubscription(link, response.body!, geometry);
  } catch (error) {
    link.close();
    throw error;
  }
}

const COMMAND: SubscriberCommand = {
  name: "rest:sub",
  transport: "rest",
  summary: "Receives and verifies the frames of `deno task rest:pub` over HTTP (GET /stream).",
  endpoint: { default: DEFAULT_STREAM_ENDPOINT, kinds: REST_ENDPOINT.kinds },
  connect: ({ endpoint, options, signal }) =>
    subscribeRest(endpoint, options.geometry, { timeoutSeconds: options.timeout, signal }),
};

if (import.meta.main) subscriberMain(COMMAND);
