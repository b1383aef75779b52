#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env --allow-ffi
/**
 * The REST publisher (the stream mode), on `Deno.serve`: `GET /stream`
 * answers each subscriber with one long response, `multipart/x-mixed-replace`
 * of raw frames as MJPEG cameras stream (rest/stream_parts.ts; rest/README.md
 * documents the format for curl, a browser or Python).
 *
 *     deno task rest:pub [--endpoint http://127.0.0.1:8081 | unix:///PATH] [--fps 30] [--overflow drop]
 *
 * Each subscriber's response body is a `ReadableStream` holding at most
 * {@linkcode QUEUE_FRAMES} frame unread by the runtime. The runtime takes the
 * next chunk of a body only when its own small buffer has room, and
 * that empties only as fast as the socket does, so a subscriber that reads
 * slowly pushes back up to here; nothing grows without bound.
 * - `--overflow block` (the default, what HTTP does by itself): `publish`
 *   waits until every subscriber's stream has room, so the slowest one sets
 *   the pace.
 * - `--overflow drop`: a subscriber whose stream has no room
 *   (`desiredSize <= 0`) misses the frame; the others get it at once.
 *
 * @module
 */

import { sharedClockMs } from "../common/clock.ts";
import { type Endpoint } from "../common/endpoint.ts";
import type { FrameProperties } from "../common/properties.ts";
import { type PublisherCommand, publisherMain } from "../common/publisher_main.ts";
import type { FramePublisher, Overflow } from "../common/stream.ts";
import { tuneAllocator } from "../common/allocator.ts";
import { REST_ENDPOINT } from "./endpoint.ts";
import { errorResponse, HttpError } from "./http_error.ts";
import { listenHttp } from "./server.ts";
import { endPart, framePart, STREAM_CONTENT_TYPE } from "./stream_parts.ts";

/** Where the publisher listens by default (the echo server's port + 1). */
export const DEFAULT_STREAM_ENDPOINT = "http://127.0.0.1:8081";
/** The path subscribers `GET`. */
export const STREAM_PATH = "/stream";
/** Frames a subscriber's stream holds that the runtime has not taken yet. */
export const QUEUE_FRAMES = 1;
/** Most ms the publisher waits, when it closes, for its subscribers to take the end. */
export const CLOSE_WAIT_MS = 5000;
/** Refused requests logged one line each; later ones are only counted. */
const LOGGED_REFUSALS = 5;

/** One subscriber: its response body's stream. */
interface Subscriber {
  controller: ReadableStreamDefaultController<Uint8Array>;
  /** Resolved when the stream has room again, or the subscriber left. */
  room?: PromiseWithResolvers<void>;
}

/** Options for {@linkcode openRestPublisher}. */
export interface RestPublisherOptions {
  /** Where to listen: `http://HOST:PORT`, `tcp://HOST:PORT` or `unix:///PATH`. */
  endpoint: Endpoint;
  /** What a subscriber that cannot keep up gets. Default: `block`. */
  overflow?: Overflow;
  /** Under `drop`, each frame waits until one subscriber has room (at `--fps max`). Default: false. */
  asFastAsTheFastest?: boolean;
  /** Where a subscriber's leaving and refused requests are told. Default: stderr. */
  log?: (line: string) => void;
}

/** Publishes frames to every subscriber of `GET /stream`. */
export class RestPublisher implements FramePublisher {
  readonly #overflow: Overflow;
  readonly #waitForOne: boolean;
  readonly #log: (line: string) => void;
  readonly #subscribers = new Set<Subscriber>();
  #server?: Deno.HttpServer;
  #removeSocketFile?: () => void;
  #endpoint = "";
  #refused = 0;
  #ended = false;

  /** Use {@linkcode openRestPublisher}. */
  constructor(options: RestPublisherOptions) {
    this.#overflow = options.overflow ?? "block";
    this.#waitForOne = options.asFastAsTheFastest ?? false;
    this.#log = options.log ?? ((line) => console.error(line));
  }

  /** Serves with `server`, once it listens at `url`. */
  attach(server: Deno.HttpServer, url: string, removeSocketFile?: () => void): void {
    this.#server = server;
    this.#endpoint = url;
    this.#removeSocketFile = removeSocketFile;
  }

  get endpoint(): string {
    return this.#endpoint;
  }

  get subscribers(): number {
    return this.#subscribers.size;
  }

  /** Answers one request: the stream, or a refusal in one JSON line. */
  handle(request: Request): Response {
    try {
      const path = new URL(request.url).pathname;
      if (path !== STREAM_PATH) {
        throw new HttpError(404, `no route ${path.slice(0, 100)}: GET ${STREAM_PATH}`);
      }
      if (request.method !== "GET") {
        throw new HttpError(405, `${STREAM_PATH} takes GET, not ${request.method}`, {
          allow: "GET",
        });
      }
      if (this.#ended) throw new HttpError(503, "the stream has ended");
      return this.#subscribe();
    } catch (error) {
      const refusal = error instanceof HttpError
        ? error
        : new HttpError(400, (error as Error).message ?? String(error));
      if (++this.#refused <= LOGGED_REFUSALS) {
        this.#log(
          `rest:pub: refused ${request.method} request: ${refusal.status} ${refusal.message}`,
        );
      }
      return errorResponse(refusal);
    }
  }

  #subscribe(): Response {
    let subscriber: Subscriber | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        // A subscriber joins between two frames: it starts with the next whole one.
        subscriber = { controller };
        this.#subscribers.add(subscriber);
      },
      pull: () => subscriber?.room?.resolve(),
      // The runtime cancels the body when the subscriber's connection is gone.
      cancel: (reason) => this.#leave(subscriber!, reason),
    }, new CountQueuingStrategy({ highWaterMark: QUEUE_FRAMES }));
    return new Response(body, {
      headers: { "content-type": STREAM_CONTENT_TYPE, "cache-control": "no-store" },
    });
  }

  #leave(subscriber: Subscriber, reason: unknown): void {
    if (!this.#subscribers.delete(subscriber)) return;
    subscriber.room?.resolve();
    if (this.#ended) return; // after the end: it took the end and went
    this.#log(`rest:pub: a subscriber left: ${reason instanceof Error ? reason.message : reason}`);
  }

  #hasRoom(subscriber: Subscriber): boolean {
    return (subscriber.controller.desiredSize ?? 0) > 0;
  }

  /** Resolves once `subscriber`'s stream has room or it left. */
  #room(subscriber: Subscriber): Promise<void> {
    if (this.#hasRoom(subscriber) || !this.#subscribers.has(subscriber)) return Promise.resolve();
    subscriber.room ??= Promise.withResolvers<void>();
    return subscriber.room.promise.finally(() => subscriber.room = undefined);
  }

  async publish(frame: Uint8Array, properties: FrameProperties): Promise<void> {
    if (this.#overflow === "block") {
      await Promise.all([...this.#subscribers].map((s) => this.#room(s)));
    } else if (this.#waitForOne && this.#subscribers.size > 0) {
      const subscribers = [...this.#subscribers];
      if (!subscribers.some((s) => this.#hasRoom(s))) {
        await Promise.race(subscribers.map((s) => this.#room(s)));
      }
    }
    // Under drop, a subscriber whose stream has no room misses this frame.
    const takers = [...this.#subscribers].filter((s) => this.#hasRoom(s));
    if (takers.length === 0) return;
    const part = framePart(frame, properties); // the copy: see framePart
    for (const subscriber of takers) this.#enqueue(subscriber, part);
  }

  #enqueue(subscriber: Subscriber, chunk: Uint8Array): boolean {
    try {
      subscriber.controller.enqueue(chunk);
      return true;
    } catch (error) {
      this.#leave(subscriber, error); // its stream was cancelled meanwhile
      return false;
    }
  }

  end(published: number): void {
    const end = endPart(published, sharedClockMs());
    this.#ended = true;
    // After the frames still queued: a stream keeps its chunks in order.
    for (const subscriber of this.#subscribers) {
      if (this.#enqueue(subscriber, end)) subscriber.controller.close();
    }
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    this.#ended = true;
    // Shutting down lets every response finish: each subscriber reads what
    // was queued for it and the end. One that does not read within
    // CLOSE_WAIT_MS has its response cut.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finished = server.shutdown();
    const late = await Promise.race([
      finished.then(() => false),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), CLOSE_WAIT_MS)),
    ]);
    clearTimeout(timer);
    if (late) {
      for (const subscriber of this.#subscribers) {
        try {
          subscriber.controller.error(new Error("the publisher closed"));
        } catch { /* closed already */ }
      }
      await finished;
    }
    this.#subscribers.clear();
    this.#removeSocketFile?.();
  }
}

/** Listens on `endpoint`; throws one line when it is in use. */
export async function openRestPublisher(options: RestPublisherOptions): Promise<RestPublisher> {
  tuneAllocator(); // a new frame-sized part per frame: keep freed ones in the heap (common/allocator.ts)
  const publisher = new RestPublisher(options);
  const { server, url, removeSocketFile } = await listenHttp(options.endpoint, {
    onListen: () => {},
    onError: (error: unknown) =>
      errorResponse(new HttpError(500, `server error: ${(error as Error)?.message ?? error}`)),
  }, (request) => publisher.handle(request));
  publisher.attach(server, url, removeSocketFile);
  return publisher;
}

const COMMAND: PublisherCommand = {
  name: "rest:pub",
  transport: "rest",
  summary:
    "Publishes frames over HTTP (GET /stream, multipart/x-mixed-replace) to every `deno task rest:sub`.",
  endpoint: { default: DEFAULT_STREAM_ENDPOINT, kinds: REST_ENDPOINT.kinds },
  overflow: ["block", "drop"],
  open: ({ endpoint, overflow, fps }) =>
    openRestPublisher({ endpoint, overflow, asFastAsTheFastest: fps === "max" }),
};

if (import.meta.main) publisherMain(COMMAND);
