/**
 * The doorway: the one-page segment `/NAME` that a server makes, where a
 * client asks for its ring `/NAME.PID` to be served. Requests are one at a
 * time, under the doorway's exclusive lock (`flock`, released by the system
 * when its holder dies, so a client killed mid-request blocks nobody).
 *
 * Client, holding the lock: write its pid, add 1 to `request`, wake it; wait
 * until `reply` equals that request number; read the status and message.
 * Server: wait until `request` differs from `reply`; attach (or refuse) the
 * ring of the pid; write status and message; set `reply` to the request
 * number; wake it.
 *
 * @module
 */

import {
  checkPreamble,
  DOORWAY,
  DoorwayState,
  PAGE_BYTES,
  PREAMBLE,
  REPLY_TEXT_BYTES,
  sealPreamble,
  SegmentKind,
  unsealed,
  writePreamble,
} from "./layout.ts";
import { createSegment } from "./create_segment.ts";
import type { MappedSegment, SharedMemoryPlatform } from "./platform.ts";
import { counterDiff, WAIT_SLICE_MS } from "./ring.ts";

/** The name of the ring of client `pid` under doorway `name`. */
export function ringName(name: string, pid: number): string {
  return `${name}.${pid}`;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A request read by the server. */
export interface DoorwayRequest {
  /** The request number, to pass back to {@linkcode Doorway.reply}. */
  number: number;
  /** The client's pid. */
  pid: number;
}

/** The server's side of the doorway. */
export class Doorway {
  /** The doorway's name. */
  readonly name: string;
  readonly #platform: SharedMemoryPlatform;
  readonly #segment: MappedSegment;
  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;
  #closed = false;

  private constructor(platform: SharedMemoryPlatform, name: string, segment: MappedSegment) {
    this.#platform = platform;
    this.name = name;
    this.#segment = segment;
    this.#words = new Int32Array(segment.buffer, 0, PAGE_BYTES / 4);
    this.#bytes = new Uint8Array(segment.buffer, 0, PAGE_BYTES);
  }

  /**
   * Makes the doorway `name` (mode 0600). A doorway left by a server that is
   * gone is replaced (and `log` says so); one of a live server, or a segment
   * that is not a framebench doorway of this layout, is refused with a
   * one-line error.
   */
  static async create(
    platform: SharedMemoryPlatform,
    name: string,
    log: (line: string) => void = () => {},
  ): Promise<Doorway> {
    const segment = await createSegment(platform, name, {
      bytes: PAGE_BYTES,
      kind: SegmentKind.doorway,
      maker: "server",
      log,
    });
    const bytes = new Uint8Array(segment.buffer, 0, PAGE_BYTES);
    writePreamble(bytes, SegmentKind.doorway, Deno.pid);
    Atomics.store(
      new Int32Array(segment.buffer, 0, PAGE_BYTES / 4),
      DOORWAY.state / 4,
      DoorwayState.open,
    );
    sealPreamble(bytes);
    return new Doorway(platform, name, segment);
  }

  /**
   * Waits for the next request; resolves undefined when `signal` aborts.
   * Never holds the event loop: the wait runs in slices off the main thread.
   */
  async nextRequest(signal: AbortSignal): Promise<DoorwayRequest | undefined> {
    for (;;) {
      if (signal.aborted || this.#closed) return undefined;
      const request = Atomics.load(this.#words, DOORWAY.request / 4) >>> 0;
      const reply = Atomics.load(this.#words, DOORWAY.reply / 4) >>> 0;
      if (request !== reply) {
        return { number: request, pid: Atomics.load(this.#words, DOORWAY.requestPid / 4) >>> 0 };
      }
      await this.#segment.wait(DOORWAY.request, request, WAIT_SLICE_MS);
    }
  }

  /** Answers request `number`: accepted, or refused with `message`. */
  reply(number: number, accepted: boolean, message = ""): void {
    const text = encoder.encode(message).subarray(0, REPLY_TEXT_BYTES);
    this.#bytes.set(text, DOORWAY.replyText);
    Atomics.store(this.#words, DOORWAY.replyLength / 4, text.byteLength);
    Atomics.store(this.#words, DOORWAY.replyStatus / 4, accepted ? 0 : 1);
    Atomics.store(this.#words, DOORWAY.reply / 4, number | 0);
    this.#segment.wake(DOORWAY.reply);
  }

  /** Marks the doorway closed, wakes any waiter, unmaps it and removes its name. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    Atomics.store(this.#words, DOORWAY.state / 4, DoorwayState.closed);
    this.#segment.wake(DOORWAY.reply);
    this.#segment.wake(DOORWAY.request);
    this.#segment.close();
    this.#platform.unlink(this.name);
  }
}

/** Options of {@linkcode requestRing}. */
export interface RequestOptions {
  /** Ms to wait for a server (its doorway, its lock, its answer). */
  timeoutMs: number;
  /** Aborting it ends the wait. */
  signal?: AbortSignal;
}

/**
 * Client: asks the server at doorway `name` to serve ring `/NAME.PID` (made
 * beforehand by this process, `pid`). Resolves once it is served; throws a
 * one-line error when the server refuses it, is not there, or does not answer
 * in time.
 */
export async function requestRing(
  platform: SharedMemoryPlatform,
  name: string,
  pid: number,
  options: RequestOptions,
): Promise<void> {
  const where = platform.describe(name);
  const end = performance.now() + options.timeoutMs;
  const seconds = options.timeoutMs / 1000;
  const checkTime = (what: string, hint = "") => {
    if (options.signal?.aborted) throw new Error("interrupted while waiting for the server");
    if (performance.now() >= end) throw new Error(`${what} after waiting ${seconds} s${hint}`);
  };
  let door: MappedSegment | undefined;
  for (;;) {
    door = platform.open(name);
    if (door) {
      const bytes = new Uint8Array(door.buffer, 0, Math.min(door.bytes, PAGE_BYTES));
      const words = new Int32Array(door.buffer, 0, Math.floor(bytes.byteLength / 4));
      let owner: number;
      try {
        if (unsealed(bytes)) owner = -1; // being set up
        else owner = checkPreamble(bytes, SegmentKind.doorway, where);
      } catch (error) {
        door.close();
        throw error;
      }
      if (
        owner > 0 && Atomics.load(words, DOORWAY.state / 4) === DoorwayState.open &&
        platform.processAlive(owner)
      ) break;
      door.close();
      door = undefined;
      checkTime(
        owner > 0
          ? `no live server at ${where} (its server, pid ${owner}, is gone or stopping)`
          : `no server finished setting up ${where}`,
      );
    } else {
      checkTime(
        `no server at ${where}`,
        ": is `deno task shm:server` running, with the same --endpoint?",
      );
    }
    await delay(50);
  }
  try {
    while (!door.tryLock()) {
      checkTime(`the server at ${where} is busy with another client's request`);
      await delay(5);
    }
    const words = new Int32Array(door.buffer, 0, PAGE_BYTES / 4);
    const owner = words[PREAMBLE.ownerPid / 4];
    const number = ((Atomics.load(words, DOORWAY.request / 4) >>> 0) + 1) | 0;
    Atomics.store(words, DOORWAY.requestPid / 4, pid);
    Atomics.store(words, DOORWAY.request / 4, number);
    door.wake(DOORWAY.request);
    for (;;) {
      const reply = Atomics.load(words, DOORWAY.reply / 4);
      if (counterDiff(reply, number) === 0) break;
      checkTime(`no answer from the server at ${where}`);
      if (!platform.processAlive(owner)) {
        throw new Error(`the server at ${where} (pid ${owner}) is gone`);
      }
      await door.wait(DOORWAY.reply, reply, WAIT_SLICE_MS);
    }
    if (Atomics.load(words, DOORWAY.replyStatus / 4) !== 0) {
      const length = Math.min(Atomics.load(words, DOORWAY.replyLength / 4), REPLY_TEXT_BYTES);
      const text = decoder.decode(
        new Uint8Array(door.buffer, DOORWAY.replyText, length).slice(), // a small copy of the message
      );
      throw new Error(`the server refused the ring: ${text}`);
    }
  } finally {
    door.unlock();
    door.close();
  }
}
