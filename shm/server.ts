#!/usr/bin/env -S deno run --allow-ffi --allow-read --allow-write --allow-env --allow-net
/**
 * The shared-memory echo server. It makes the doorway `/dev/shm/NAME`; each
 * client makes its own ring `/dev/shm/NAME.PID` and asks for it there. The
 * server maps the ring, removes its name at once (so nothing is left in
 * /dev/shm whichever side dies), and then, for every posted frame, checks the
 * slot's state words and the frame's index stamps, reads every byte of the
 * frame in place into a CRC-32 that it writes in the slot's control block
 * (read_frame.ts), and acknowledges it. Any pixels are served: with
 * `--expect-source` they must also be framebench's test pattern. A frame is
 * never copied here: the server only reads the slot.
 *
 * How the server learns of a posted frame is the ring's variant:
 * - `futex`: the ring's `posted` word (a futex), several frames in flight;
 * - `zmq`: the frame properties (../common/properties.ts, with the slot) as a
 *   small ZeroMQ message on `ipc:///tmp/NAME.sock` (DEALER to ROUTER), the
 *   acknowledgement as the reply: the original study's design.
 *
 *     deno task shm:server [--endpoint shm://framebench-shm] [--expect-source]
 *
 * @module
 */

import { atExit } from "../common/cleanup.ts";
import type { Endpoint } from "../common/endpoint.ts";
import { EventLoopTurns } from "../common/event_loop.ts";
import { decodeProperties } from "../common/properties.ts";
import { ServerStats } from "../common/server.ts";
import { type ServerCommand, serverMain } from "../common/server_main.ts";
import { FrameSource } from "../common/source.ts";
import type { Message } from "../zmq/libzmq.ts";
import { removeAbandonedRings } from "./abandoned_rings.ts";
import { Doorway, type DoorwayRequest, ringName } from "./doorway.ts";
import { segmentName, SHM_ENDPOINT } from "./endpoint.ts";
import {
  ClientState,
  LayoutError,
  Notify,
  readRingHeader,
  ServerState,
  Verdict,
  verdictText,
} from "./layout.ts";
import { type SharedMemoryPlatform, sharedMemoryPlatform } from "./platform.ts";
import { readFrame } from "./read_frame.ts";
import { clientGone, Ring } from "./ring.ts";
import { removeStaleSocket, ZmqNotifications } from "./zmq_notifications.ts";

/** Options for {@linkcode serveShm}. */
export interface ShmServerOptions {
  /** Where to serve: `shm://NAME`, the doorway's name. Default: `shm://framebench-shm`. */
  endpoint?: Endpoint;
  /** Stops the server when aborted. */
  signal: AbortSignal;
  /** Where one-line notes go (stale segment replaced, client gone). Default: stderr. */
  log?: (line: string) => void;
  /**
   * Also compare every frame with framebench's test pattern (common/source.ts)
   * and refuse it as corrupt when it differs. Default: false (any pixels are
   * served; the stamps and the checksum are checked either way).
   */
  expectSource?: boolean;
}

/** One client's ring, attached. */
interface Session {
  pid: number;
  ring: Ring;
  /** With `--expect-source`: the test pattern of the ring's geometry, to check frames against. */
  source?: FrameSource;
  /** The next post to read. */
  next: number;
  stopping: boolean;
  /** The futex loop, for futex rings. */
  loop?: Promise<void>;
}

/**
 * Serves until `signal` aborts, then detaches every ring, removes the
 * doorway and the ZeroMQ socket file, and returns what it served. Throws,
 * before serving, when the doorway's name is in use by a live server or by a
 * segment that is not a framebench doorway.
 */
export async function serveShm(options: ShmServerOptions): Promise<ServerStats> {
  const name = segmentName(options.endpoint);
  const log = options.log ?? ((line: string) => console.error(`shm:server: ${line}`));
  const platform = await sharedMemoryPlatform();
  const doorway = await Doorway.create(platform, name, log);
  const forget = atExit(() => doorway.close());
  const removeAbandoned = () => {
    for (const ring of removeAbandonedRings(platform, name)) {
      log(`removed ${platform.describe(ring)}: its client died before it was served`);
    }
  };
  removeAbandoned();
  try {
    await removeStaleSocket(name);
  } catch (error) {
    doorway.close();
    forget();
    throw error;
  }
  const stats = new ServerStats("shm");
  const expectSource = options.expectSource ?? false;
  const server = new ShmServer({ platform, name, stats, log, expectSource });
  try {
    stats.ready(`shm://${name}`);
    for (;;) {
      const request = await doorway.nextRequest(options.signal);
      if (!request) break;
      const refusal = await server.attach(request);
      doorway.reply(request.number, refusal === undefined, refusal);
      if (refusal) log(`refused the ring of client pid ${request.pid}: ${refusal}`);
    }
  } finally {
    await server.close();
    removeAbandoned();
    doorway.close();
    forget();
  }
  stats.stopped();
  return stats;
}

/** The key of a ring's geometry in the map of test-pattern sources. */
function sourceKey(ring: Ring): string {
  const { width, height, format } = ring.layout.geometry;
  return `${width}x${height}:${format}`;
}

/** What a {@linkcode ShmServer} serves with. */
interface ServerSetting {
  platform: SharedMemoryPlatform;
  /** The doorway's name. */
  name: string;
  stats: ServerStats;
  log: (line: string) => void;
  /** Frames must also be the test pattern (`--expect-source`). */
  expectSource: boolean;
}

class ShmServer {
  readonly #setting: ServerSetting;
  readonly #sessions = new Map<number, Session>();
  /** Frame sources by geometry, shared by the rings of that geometry. */
  readonly #sources = new Map<string, FrameSource>();
  /** The `zmq` variant's socket, from the first `zmq` ring on. */
  #zmq?: ZmqNotifications;

  constructor(setting: ServerSetting) {
    this.#setting = setting;
  }

  /** Attaches the ring of a request; returns why not, or undefined when it is served. */
  async attach(request: DoorwayRequest): Promise<string | undefined> {
    const platform = this.#setting.platform;
    const name = ringName(this.#setting.name, request.pid);
    const where = platform.describe(name);
    if (this.#sessions.has(request.pid)) return `client pid ${request.pid} is already served`;
    const segment = platform.open(name);
    if (!segment) return `${where} does not exist`;
    let ring: Ring;
    try {
      const header = readRingHeader(new Uint8Array(segment.buffer), where);
      if (header.ownerPid !== request.pid) {
        throw new LayoutError(`${where} belongs to pid ${header.ownerPid}, not ${request.pid}`);
      }
      ring = new Ring(segment, header);
      if (ring.serverState !== ServerState.none) {
        throw new LayoutError(`${where} is already served by pid ${ring.serverPid}`);
      }
      if (header.notify === Notify.zmq) {
        this.#zmq ??= await ZmqNotifications.start(this.#setting.name, {
          request: (parts) => this.#zmqRequest(parts),
          idle: () => this.#releaseGoneZmq(),
        });
      }
    } catch (error) {
      segment.close();
      return (error as Error).message.split("\n")[0];
    }
    // The ring is mapped here and in the client: its name is no longer needed,
    // and without it nothing is left in /dev/shm whichever side dies.
    platform.unlink(name);
    ring.serverPid = Deno.pid;
    ring.serverState = ServerState.attached;
    let source: FrameSource | undefined;
    if (this.#setting.expectSource) {
      const key = sourceKey(ring);
      source = this.#sources.get(key);
      if (!source) this.#sources.set(key, source = new FrameSource(ring.layout.geometry));
    }
    const session: Session = { pid: request.pid, ring, source, next: ring.acked, stopping: false };
    this.#sessions.set(request.pid, session);
    if (ring.layout.notify === Notify.futex) session.loop = this.#serveFutex(session);
    return undefined;
  }

  /**
   * Reads post `session.next` in place, checks it, and acknowledges it with
   * its verdict and the CRC-32 of what was read.
   */
  #serve(session: Session): number {
    const { ring } = session;
    const p = session.next++;
    let verdict: number = Verdict.ok;
    let checksum = 0;
    const opened = ring.open(p);
    if (!opened.ok) {
      verdict = opened.verdict;
      this.#setting.stats.refuse(`client pid ${session.pid}: ${opened.reason}`);
    } else {
      // The server's read of the frame: every byte, in the slot, no copy
      // (read_frame.ts).
      const read = readFrame(opened.frame, opened.index, session.source);
      checksum = read.checksum;
      if (!ring.intact(p)) {
        verdict = Verdict.torn;
        this.#setting.stats.refuse(
          `client pid ${session.pid}: frame ${opened.index} changed while read`,
        );
      } else if (read.problem !== undefined) {
        verdict = read.verdict;
        this.#setting.stats.refuse(`client pid ${session.pid}: ${read.problem}`);
      } else {
        this.#setting.stats.frames++;
      }
    }
    ring.ack(p, verdict, checksum);
    return verdict;
  }

  async #serveFutex(session: Session): Promise<void> {
    let gone = false;
    const idle = () => {
      if (session.stopping) return false;
      if (clientGone(session.ring)) {
        gone = true;
        return false;
      }
      return true;
    };
    const turns = new EventLoopTurns();
    while (!session.stopping) {
      if (!await session.ring.waitPosted(session.next, { idle })) break;
      this.#serve(session);
      await turns.maybeYield();
    }
    if (gone) this.#detach(session);
  }

  /** Releases a session's ring; says so when its client died rather than closed. */
  #detach(session: Session): void {
    if (!this.#sessions.delete(session.pid)) return;
    const { ring } = session;
    if (ring.clientState !== ClientState.closed) {
      this.#setting.log(
        `client pid ${session.pid} ended without closing its ring; the ring was released`,
      );
    }
    ring.serverState = ServerState.left;
    ring.segment.close();
    if (!session.source) return;
    const inUse = [...this.#sessions.values()].some((s) => s.source === session.source);
    if (!inUse) this.#sources.delete(sourceKey(ring));
  }

  /** Releases the `zmq` rings whose client closed or died. */
  #releaseGoneZmq(): void {
    for (const session of [...this.#sessions.values()]) {
      if (session.ring.layout.notify === Notify.zmq && clientGone(session.ring)) {
        this.#detach(session);
      }
    }
  }

  /** Serves one ZeroMQ request, [ring id, properties]; returns why it was refused, or undefined. */
  #zmqRequest(parts: Message[]): string | undefined {
    const refuse = (why: string) => {
      this.#setting.stats.refuse(why);
      return why;
    };
    if (parts.length !== 2) {
      return refuse(`expected 2 parts (ring id, properties), got ${parts.length}`);
    }
    const id = parts[0].bytes;
    const session = id.byteLength === 4
      ? this.#sessions.get(new DataView(id.buffer, id.byteOffset, 4).getUint32(0, true))
      : undefined;
    if (!session || session.ring.layout.notify !== Notify.zmq) {
      this.#setting.stats.refuse("a request for a ring that is not served");
      return "no such ring is served here";
    }
    let properties;
    try {
      properties = decodeProperties(parts[1].bytes);
    } catch (error) {
      return refuse((error as Error).message);
    }
    const expectedSlot = session.next % session.ring.layout.slotCount;
    if (properties.slot !== expectedSlot) {
      // The post is still consumed, so that the ring stays in step with the client.
      session.ring.ack(session.next++, Verdict.stale);
      return refuse(`properties name slot ${properties.slot}, expected ${expectedSlot}`);
    }
    const verdict = this.#serve(session);
    return verdict === Verdict.ok
      ? undefined
      : `frame ${properties.index}: refused (${verdictText(verdict)})`;
  }

  /** Stops every loop and releases every ring and the ZeroMQ socket. */
  async close(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    for (const session of sessions) session.stopping = true;
    await Promise.all(sessions.map((s) => s.loop));
    for (const session of sessions) this.#detach(session);
    await this.#zmq?.close();
    this.#zmq = undefined;
  }
}

const COMMAND: ServerCommand = {
  name: "shm:server",
  summary:
    "Serves shared-memory frame rings (futex or ZeroMQ notification) until Ctrl-C. The zmq variant's notifications go over ipc:///tmp/NAME.sock, beside shm://NAME.",
  endpoint: SHM_ENDPOINT,
  flags: {
    "expect-source": {
      type: "boolean",
      description: "also refuse frames that are not framebench's test pattern (common/source.ts)",
    },
  },
  serve: ({ endpoint, flags, signal }) =>
    serveShm({ endpoint, signal, expectSource: flags["expect-source"] === true }),
};

if (import.meta.main) serverMain(COMMAND);
