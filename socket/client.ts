#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env
/**
 * The socket echo client: each frame as its 32-byte properties and its pixels
 * on a plain stream socket (`Deno.connect`, unix or TCP), the echo read back
 * whole and verified (socket/wire.ts).
 *
 *     deno task socket:client [--endpoint unix:///tmp/framebench-socket.sock] [--in-flight 1]
 *
 * Copies of a frame: the kernel copies the pixels out of the frame source's
 * pool frame (no JavaScript copy: the properties and the pixels are two
 * writes), and the reply into the client's receive buffer, where it is
 * verified.
 *
 * @module
 */

import { type ClientCommand, clientMain } from "../common/client_main.ts";
import type { FrameTransport, ReturnedFrame } from "../common/echo.ts";
import type { Endpoint } from "../common/endpoint.ts";
import type { FrameGeometry } from "../common/frame.ts";
import { numberFlag, UsageError } from "../common/flags.ts";
import { encodeProperties, NO_SLOT, PROPERTIES_BYTES } from "../common/properties.ts";
import { connectOrSay } from "../common/connect.ts";
import { DEFAULT_ENDPOINT } from "./server.ts";
import { decodeHead, HEAD_BYTES, pixelBytes, readFull, writeFull } from "./wire.ts";

/** Options for {@linkcode connectSocket}. */
export interface SocketEchoOptions {
  /** Where the server is: a `unix` or `tcp` endpoint. */
  endpoint: Endpoint;
  /** Geometry of the frames sent. */
  geometry: FrameGeometry;
  /** Frames sent ahead of the replies; 1 is the study's echo. Default: 1. */
  inFlight?: number;
  /** Seconds to wait for a reply before reporting the server gone. Default: 5. */
  timeoutSeconds?: number;
  /** Aborting it ends a wait for a reply early. */
  signal?: AbortSignal;
}

/** A stream socket to the socket server, with frames in flight. */
export class SocketEcho implements FrameTransport {
  readonly endpoint: string;
  readonly inFlight: number;
  readonly #conn: Deno.Conn;
  readonly #geometry: FrameGeometry;
  readonly #timeoutMs: number;
  readonly #signal?: AbortSignal;
  /** Heads of the frames in flight, one per frame, reused in turn. */
  readonly #heads: Uint8Array<ArrayBuffer>[];
  /** The reply, head and pixels side by side, read here by the kernel. */
  readonly #reply: Uint8Array;
  /** The writes in order; a frame's write goes on while replies are read. */
  #writing: Promise<void> = Promise.resolve();
  #writeError: unknown;
  #sent = 0;

  constructor(conn: Deno.Conn, options: SocketEchoOptions) {
    this.#conn = conn;
    this.endpoint = options.endpoint.url;
    this.inFlight = options.inFlight ?? 1;
    this.#geometry = options.geometry;
    this.#timeoutMs = (options.timeoutSeconds ?? 5) * 1000;
    this.#signal = options.signal;
    this.#heads = Array.from({ length: this.inFlight }, () => new Uint8Array(PROPERTIES_BYTES));
    this.#reply = new Uint8Array(HEAD_BYTES + options.geometry.frameBytes);
  }

  send(frame: Uint8Array, index: number): Promise<void> {
    const { width, height, format } = this.#geometry;
    const head = encodeProperties(
      { index, width, height, format, slot: NO_SLOT, sentAt: Date.now() },
      this.#heads[this.#sent++ % this.inFlight],
    );
    // Not awaited: with frames in flight the replies must be read while the
    // next frame is written, or both sides would wait on full sockets. The
    // frame's bytes stay as they are until it comes back (the source's pool
    // holds more frames than may be in flight).
    this.#writing = this.#writing
      .then(() => writeFull(this.#conn, head))
      .then(() => writeFull(this.#conn, frame))
      .catch((error) => {
        this.#writeError ??= error;
      });
    return Promise.resolve();
  }

  async receive(): Promise<ReturnedFrame> {
    const head = this.#reply.subarray(0, HEAD_BYTES);
    await this.#within(
      readFull(this.#conn, head).then((more) => {
        if (!more) throw this.#gone();
      }),
    );
    const decoded = decodeHead(head);
    if (decoded.kind === "refusal") {
      const text = new Uint8Array(decoded.textBytes);
      await this.#within(readFull(this.#conn, text));
      // The server closes the connection after a refusal: the run cannot go on.
      throw new Error(`the server refused a frame: ${new TextDecoder().decode(text)}`);
    }
    const bytes = pixelBytes(decoded.properties);
    if (bytes !== this.#geometry.frameBytes) {
      throw new Error(`a reply of ${bytes} pixel bytes, expected ${this.#geometry.frameBytes}`);
    }
    const frame = this.#reply.subarray(HEAD_BYTES);
    await this.#within(readFull(this.#conn, frame));
    return { index: decoded.properties.index, frame };
  }

  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed already */ }
  }

  #gone(): Error {
    const cause = this.#writeError ? `: ${(this.#writeError as Error).message}` : "";
    return new Error(`the server at ${this.endpoint} closed the connection${cause}`);
  }

  /** Waits for `reading`, at most `--timeout` seconds and not past Ctrl-C. */
  async #within<T>(reading: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new Error(
            `no reply from ${this.endpoint} within ${this.#timeoutMs / 1000} s: ` +
              "is `deno task socket:server` running there?",
          ),
        );
      }, this.#timeoutMs);
      onAbort = () => reject(new Error("interrupted while waiting for the server"));
      this.#signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([reading, late]);
    } catch (error) {
      // A read still pending on the socket ends with it.
      this.close();
      if (error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe) {
        throw this.#gone();
      }
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort) this.#signal?.removeEventListener("abort", onAbort);
    }
  }
}

/** Connects to the socket server; throws one line when nothing listens there. */
export async function connectSocket(options: SocketEchoOptions): Promise<SocketEcho> {
  const conn = await connectOrSay(
    options.endpoint,
    "is `deno task socket:server` running there?",
  );
  return new SocketEcho(conn, options);
}

const COMMAND: ClientCommand = {
  name: "socket:client",
  transport: "socket",
  summary:
    "Sends frames to `deno task socket:server` over a plain stream socket and verifies the echo.",
  variants: ["echo"],
  endpoint: { default: DEFAULT_ENDPOINT, kinds: ["unix", "tcp"] },
  flags: {
    "in-flight": {
      type: "string",
      default: "1",
      description: "frames sent ahead of the replies (1 to 7); 1 is the study's echo",
    },
  },
  connect({ options, endpoint, flags, signal }) {
    const inFlight = numberFlag("in-flight", flags["in-flight"], { integer: true });
    if (inFlight > 7) throw new UsageError(`--in-flight must be 1 to 7, got "${inFlight}"`);
    return connectSocket({
      endpoint,
      geometry: options.geometry,
      inFlight,
      timeoutSeconds: options.timeout,
      signal,
    });
  },
};

if (import.meta.main) clientMain(COMMAND);
