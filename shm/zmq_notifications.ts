/**
 * The server's side of the `zmq` variant: a ROUTER socket on
 * `ipc:///tmp/NAME.sock` (mode 0600, beside the doorway `shm://NAME`), where
 * each client's DEALER sends one request per posted frame, [ring id,
 * properties]; the reply (the request's properties, or `{"error": ...}`)
 * acknowledges it. The frame itself never goes over the socket: it stays in
 * the ring.
 *
 * @module
 */

import { removeOnExit } from "../common/cleanup.ts";
import { EventLoopTurns } from "../common/event_loop.ts";
import { listenPrivately, unixSocketInUse } from "../common/unix_socket.ts";
import { Context, Message, type Socket, ZMQ } from "../zmq/libzmq.ts";
import { zmqEndpoint } from "./endpoint.ts";

/** Microseconds to try for a request before waiting for it off the main thread. */
const SPIN_MICROS = 30;

/** Milliseconds between two calls of {@linkcode ZmqHandlers.idle}, at most, busy or not. */
const IDLE_EVERY_MS = 200;

/** What the server does with the socket's traffic. */
export interface ZmqHandlers {
  /**
   * Serves one request (its parts after the sender's identity, valid only
   * during the call); returns why it was refused, or undefined.
   */
  request(parts: Message[]): string | undefined;
  /** Called at least every {@linkcode IDLE_EVERY_MS} ms, e.g. to release rings whose client left. */
  idle(): void;
}

const encoder = new TextEncoder();

/**
 * Removes the socket file of segment `name` if a server of this name that
 * was killed left it (this server owns the name now: it holds the doorway);
 * throws if a live process listens on it.
 */
export async function removeStaleSocket(name: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  const { url, path } = zmqEndpoint(name);
  if (await unixSocketInUse(path)) throw new Error(`${url} is in use by another process`);
  await Deno.remove(path).catch(() => {});
}

/** The ROUTER socket of segment `name` and its loop, until {@linkcode ZmqNotifications.close}. */
export class ZmqNotifications {
  readonly #context: Context;
  readonly #socket: Socket;
  /** Removes the socket file now (and unregisters its removal at exit). */
  readonly #removeSocketFile: () => void;
  readonly #loop: Promise<void>;
  #stopping = false;

  private constructor(context: Context, socket: Socket, path: string, handlers: ZmqHandlers) {
    this.#context = context;
    this.#socket = socket;
    this.#removeSocketFile = removeOnExit(path);
    this.#loop = this.#serve(handlers);
  }

  /** Binds the socket of segment `name` (replacing one a killed server left) and serves it. */
  static async start(name: string, handlers: ZmqHandlers): Promise<ZmqNotifications> {
    const { path } = zmqEndpoint(name);
    await removeStaleSocket(name);
    const context = new Context();
    const socket = context.socket(ZMQ.ROUTER);
    try {
      await listenPrivately(path, (at) => socket.bind(`ipc://${at}`));
    } catch (error) {
      socket.close();
      context.term();
      throw error;
    }
    return new ZmqNotifications(context, socket, path, handlers);
  }

  /** One request per posted frame, [identity, ring id, properties]; the reply acknowledges. */
  async #serve(handlers: ZmqHandlers): Promise<void> {
    const socket = this.#socket;
    const turns = new EventLoopTurns();
    let nextIdle = 0;
    while (!this.#stopping) {
      // Try at once and for a few microseconds (cheap non-blocking calls)
      // before waiting off the main thread, which costs a thread hop.
      let parts = socket.receiveParts();
      const spinUntil = performance.now() + SPIN_MICROS / 1000;
      while (!parts && performance.now() < spinUntil) parts = socket.receiveParts();
      const now = performance.now();
      if (now >= nextIdle) {
        nextIdle = now + IDLE_EVERY_MS;
        handlers.idle();
      }
      if (!parts) {
        await socket.wait(100);
        continue;
      }
      const [identity, ...rest] = parts;
      const problem = handlers.request(rest);
      // A small copy of the 32-byte properties (or of the error) into the reply.
      const reply = Message.copyOf(
        problem === undefined
          ? rest[rest.length - 1].bytes
          : encoder.encode(JSON.stringify({ error: problem })),
      );
      for (const part of rest) part.close();
      socket.sendParts([identity, reply]);
      await turns.maybeYield();
    }
  }

  /** Stops the loop, closes the socket and removes its file. */
  async close(): Promise<void> {
    this.#stopping = true;
    await this.#loop;
    this.#socket.close();
    this.#context.term();
    this.#removeSocketFile();
  }
}
