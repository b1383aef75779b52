#!/usr/bin/env -S deno run --allow-ffi --allow-read --allow-env
/**
 * The shared-memory echo client: makes its own ring `/dev/shm/NAME.PID` of
 * `--slots` frame slots, asks the server at `/dev/shm/NAME` to serve it, and
 * then for each frame: writes it into a slot, posts it, waits for the
 * server's acknowledgement, and verifies the frame where it is, in the slot.
 *
 *     deno task shm:client [--variant futex|zmq] [--slots 4] [--endpoint shm://NAME] [--size 1080p]
 *
 * Copies of a frame: one. The client copies the frame from its source into
 * the slot (that is the transport: the pixels are now where the server can
 * read them). The server reads them there, and the frame handed back to the
 * echo loop is a view of the same slot, which the loop verifies in place.
 * The `zmq` variant also copies the 32-byte frame properties into a ZeroMQ
 * message, never the pixels.
 *
 * The server proves what it read with the CRC-32 of the frame in the slot's
 * control block; the client checks it against the CRC of the frame it sent,
 * made without reading the frame again: the CRC of each pool frame's body
 * (between the stamps) is computed once, and combined with the CRCs of the
 * two 8-byte index stamps (expected_checksums.ts). The echo loop's verification
 * (`checkFrame`) then reads every byte in the slot, as for every transport.
 *
 * @module
 */

import { atExit } from "../common/cleanup.ts";
import { type ClientCommand, clientMain } from "../common/client_main.ts";
import { FrameRefused, type FrameTransport, type ReturnedFrame } from "../common/echo.ts";
import type { Endpoint } from "../common/endpoint.ts";
import { EventLoopTurns } from "../common/event_loop.ts";
import { numberFlag, UsageError } from "../common/flags.ts";
import type { FrameGeometry } from "../common/frame.ts";
import { decodeProperties, encodeProperties, PROPERTIES_BYTES } from "../common/properties.ts";
import { runtimeInfo } from "../common/record.ts";
import { FrameSource } from "../common/source.ts";
import { checkFrame, type FrameError } from "../common/verify.ts";
import { Context, libzmqVersion, Message, type Socket, ZMQ } from "../zmq/libzmq.ts";
import { requestRing, ringName } from "./doorway.ts";
import { segmentName, SHM_ENDPOINT, zmqEndpoint } from "./endpoint.ts";
import { ExpectedChecksums } from "./expected_checksums.ts";
import {
  ClientState,
  MAX_SLOTS,
  Notify,
  PAGE_BYTES,
  ringBytes,
  ringLayout,
  Verdict,
  verdictText,
  writeRingHeader,
} from "./layout.ts";
import { type SharedMemoryPlatform, sharedMemoryPlatform } from "./platform.ts";
import { Ring, serverGone } from "./ring.ts";

/**
 * Slots in a ring by default: two frames in flight let the client write one
 * while the server reads the other; more only add memory traffic (measured:
 * README.md, "Speed").
 */
export const DEFAULT_SLOTS = 2;

/** Most frames in flight: below the frame source's pool of 8. */
const MAX_IN_FLIGHT = 7;

/** The variants, default first. */
export const VARIANTS = ["futex", "zmq"] as const;
/** A variant of the shared-memory transport. */
export type ShmVariant = typeof VARIANTS[number];

/** Microseconds to try for a ZeroMQ reply before waiting for it off the main thread. */
const SPIN_MICROS = 30;

/** Options for {@linkcode ShmEcho.connect}. */
export interface ShmEchoOptions {
  /** Where the server is: its `shm://NAME`. Default: `shm://framebench-shm`. */
  endpoint?: Endpoint;
  /** Geometry of the frames sent. */
  geometry: FrameGeometry;
  /** Slots in the ring. Default: {@linkcode DEFAULT_SLOTS}. */
  slots?: number;
  /** How the server learns of a frame. Default: `futex`. */
  variant?: ShmVariant;
  /** Seconds to wait for the server (to answer, to acknowledge a frame). Default: 5. */
  timeoutSeconds?: number;
  /** Aborting it ends a wait for the server early. */
  signal?: AbortSignal;
  /**
   * The frames sent: the echo loop's source, whose frames are checked on
   * their way back. Default: a new {@linkcode FrameSource} of `geometry`.
   */
  source?: FrameSource;
}

/** What {@linkcode connectRing} sets up. */
interface Connection {
  platform: SharedMemoryPlatform;
  ring: Ring;
  /** Unregisters the exit clean-up of the ring's name. */
  forget: () => void;
  zmq?: { context: Context; socket: Socket; id: Uint8Array };
}

/** Makes the client's ring, has the server attach it, and connects ZeroMQ for `zmq`. */
async function connectRing(options: ShmEchoOptions): Promise<Connection> {
  const name = segmentName(options.endpoint);
  const variant = options.variant ?? "futex";
  const timeoutMs = (options.timeoutSeconds ?? 5) * 1000;
  const platform = await sharedMemoryPlatform();
  const layout = ringLayout(
    options.geometry,
    options.slots ?? DEFAULT_SLOTS,
    variant === "zmq" ? Notify.zmq : Notify.futex,
  );
  const own = ringName(name, Deno.pid);
  let segment = platform.create(own, ringBytes(layout));
  if (!segment) {
    // Left by an earlier process that had our pid, so certainly dead: replace it.
    platform.unlink(own);
    segment = platform.create(own, ringBytes(layout));
    if (!segment) throw new Error(`cannot create ${platform.describe(own)}`);
  }
  const forget = atExit(() => platform.unlink(own));
  const ring = new Ring(segment, layout);
  // Held for the client's life: the server knows the client is gone when it can take it.
  if (!segment.tryLock()) throw new Error(`cannot lock ${platform.describe(own)}`);
  try {
    writeRingHeader(new Uint8Array(segment.buffer, 0, PAGE_BYTES), layout, Deno.pid);
    ring.clientState = ClientState.open;
    await requestRing(platform, name, Deno.pid, { timeoutMs, signal: options.signal });
    if (variant !== "zmq") return { platform, ring, forget };
    const context = new Context();
    const socket = context.socket(ZMQ.DEALER);
    socket.connect(zmqEndpoint(name).url);
    const id = new Uint8Array(4);
    new DataView(id.buffer).setUint32(0, Deno.pid, true);
    return { platform, ring, forget, zmq: { context, socket, id } };
  } catch (error) {
    ring.clientState = ClientState.closed;
    segment.close();
    forget();
    throw error;
  } finally {
    // Attached or not, the name has served its purpose (the server removes it too).
    platform.unlink(own);
  }
}

/**
 * The client's side of one ring: several frames in flight, each verified in
 * its slot. It connects on the first frame, so that a missing server ends the
 * run with a result record that says why.
 */
export class ShmEcho implements FrameTransport {
  readonly endpoint: string;
  readonly inFlight: number;
  readonly #options: ShmEchoOptions;
  readonly #timeoutMs: number;
  readonly #properties = new Uint8Array(PROPERTIES_BYTES);
  readonly #turns = new EventLoopTurns();
  #connection?: Connection;
  #posted = 0;
  #received = 0;
  #closed = false;
  /** The server's checksum of the frame last received, and that frame's index. */
  #lastChecksum = { index: -1, checksum: 0 };
  #expected?: ExpectedChecksums;

  constructor(options: ShmEchoOptions) {
    this.#options = options;
    this.endpoint = `shm://${segmentName(options.endpoint)}`;
    this.#timeoutMs = (options.timeoutSeconds ?? 5) * 1000;
    // A slot is rewritten only after its frame was verified (the echo loop
    // verifies frame i before it sends frame i + inFlight), so every slot can
    // hold a frame in flight.
    this.inFlight = Math.min(options.slots ?? DEFAULT_SLOTS, MAX_IN_FLIGHT);
  }

  /** Connects now rather than on the first frame. */
  async connect(): Promise<void> {
    if (this.#closed) throw new Error("closed");
    this.#connection ??= await connectRing(this.#options);
  }

  async send(frame: Uint8Array, index: number): Promise<void> {
    if (!this.#connection) await this.connect();
    const { ring, zmq } = this.#connection!;
    const p = this.#posted++;
    const sentAt = performance.timeOrigin + performance.now();
    ring.post(p, frame, index, sentAt);
    if (!zmq) return;
    const { geometry, slotCount } = ring.layout;
    encodeProperties({
      index,
      width: geometry.width,
      height: geometry.height,
      format: geometry.format,
      slot: p % slotCount,
      sentAt,
    }, this.#properties);
    await this.#sendZmq(zmq);
  }

  async #sendZmq(zmq: NonNullable<Connection["zmq"]>): Promise<void> {
    const { socket, id } = zmq;
    const deadline = performance.now() + this.#timeoutMs;
    // Small copies of the 4-byte ring id and the 32-byte properties; the pixels stay in the slot.
    while (!socket.sendParts([Message.copyOf(id), Message.copyOf(this.#properties)])) {
      await this.#waitZmq(socket, deadline, ZMQ.POLLOUT);
    }
  }

  async #waitZmq(socket: Socket, deadline: number, events: number): Promise<void> {
    for (;;) {
      this.#checkServer();
      const left = deadline - performance.now();
      if (left <= 0) throw this.#noAnswer();
      if (await socket.wait(Math.min(left, 100), events)) return;
    }
  }

  /**
   * The next reply: tried at once and for up to {@linkcode SPIN_MICROS}
   * (each try is a cheap non-blocking call), then waited for off the main
   * thread (a thread hop that costs tens of microseconds).
   */
  async #receiveZmq(socket: Socket): Promise<Message[]> {
    const spinUntil = performance.now() + SPIN_MICROS / 1000;
    do {
      const parts = socket.receiveParts();
      if (parts) return parts;
    } while (performance.now() < spinUntil);
    const deadline = performance.now() + this.#timeoutMs;
    for (;;) {
      await this.#waitZmq(socket, deadline, ZMQ.POLLIN);
      const parts = socket.receiveParts();
      if (parts) return parts;
    }
  }

  #checkServer(): void {
    const { ring, platform } = this.#connection!;
    if (serverGone(ring, (pid) => platform.processAlive(pid))) {
      throw new Error(`the server (pid ${ring.serverPid}) is gone`);
    }
  }

  #noAnswer(): Error {
    return new Error(
      `no acknowledgement from the server (pid ${this.#connection!.ring.serverPid}) within ${
        this.#timeoutMs / 1000
      } s`,
    );
  }

  async receive(): Promise<ReturnedFrame> {
    const { ring, zmq } = this.#connection!;
    // Frames may be ready every time: let signals and timers in now and then.
    await this.#turns.maybeYield();
    const p = this.#received;
    if (zmq) {
      const parts = await this.#receiveZmq(zmq.socket);
      const body = parts[parts.length - 1].bytes;
      let problem: string | undefined;
      if (parts.length !== 1) problem = `a reply of ${parts.length} parts`;
      else if (body.byteLength !== PROPERTIES_BYTES) {
        try {
          problem = JSON.parse(new TextDecoder().decode(body)).error;
        } catch {
          problem = `a reply of ${body.byteLength} bytes`;
        }
      } else {
        const slot = decodeProperties(body).slot;
        if (slot !== p % ring.layout.slotCount) problem = `a reply for slot ${slot}`;
      }
      for (const part of parts) part.close();
      if (problem !== undefined) {
        this.#received++;
        throw new FrameRefused(problem);
      }
    } else {
      const ok = await ring.waitAcked(p, {
        timeoutMs: this.#timeoutMs,
        idle: () => this.#checkServer(),
      });
      if (!ok) throw this.#noAnswer();
    }
    this.#received++;
    const ack = ring.acknowledged(p);
    if (ack.verdict !== Verdict.ok) {
      throw new FrameRefused(`the server found frame ${ack.index} ${verdictText(ack.verdict)}`);
    }
    this.#lastChecksum = { index: ack.index, checksum: ack.checksum };
    // The frame in its slot, as the server read it: verified there by the echo loop.
    return { index: ack.index, frame: ack.frame };
  }

  /**
   * Verifies a frame that came back: the server's checksum against the CRC
   * of frame `index` as sent (no read of the frame), then every byte of the
   * frame in its slot (`checkFrame`, the one read).
   */
  check(frame: Uint8Array, index: number): FrameError | undefined {
    this.#expected ??= new ExpectedChecksums(
      this.#options.source ?? new FrameSource(this.#options.geometry),
    );
    const expected = this.#expected.of(index);
    const { checksum } = this.#lastChecksum;
    if (this.#lastChecksum.index !== index || checksum !== expected) {
      return {
        kind: "corrupt",
        index,
        message: `frame ${index}: the server's checksum is 0x${
          hex(checksum)
        }, the frame sent has 0x${hex(expected)}`,
      };
    }
    return checkFrame(this.#expected.source, frame, index);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const connection = this.#connection;
    if (!connection) return;
    if (connection.zmq) {
      connection.zmq.socket.close();
      connection.zmq.context.term();
    }
    connection.ring.clientState = ClientState.closed;
    connection.ring.segment.close();
    connection.forget();
  }
}
/** A CRC as 8 hex digits. */
function hex(crc: number): string {
  return crc.toString(16).padStart(8, "0");
}

/** Parses `--slots`: 1 to {@linkcode MAX_SLOTS}; throws {@linkcode UsageError}. */
function slotsFlag(value: string | boolean | undefined): number {
  const slots = numberFlag("slots", value, { integer: true });
  if (slots > MAX_SLOTS) throw new UsageError(`--slots must be at most ${MAX_SLOTS}, got ${slots}`);
  return slots;
}

const COMMAND: ClientCommand<ShmVariant> = {
  name: "shm:client",
  transport: "shm",
  summary:
    "Sends frames through shared memory to `deno task shm:server` and verifies each in place. The zmq variant sends each frame's properties over ipc:///tmp/NAME.sock, beside shm://NAME.",
  variants: VARIANTS,
  endpoint: SHM_ENDPOINT,
  flags: {
    slots: {
      type: "string",
      default: String(DEFAULT_SLOTS),
      description:
        `frame slots in the ring, 1 to ${MAX_SLOTS} (frames in flight: up to ${MAX_IN_FLIGHT})`,
    },
  },
  connect: ({ options, endpoint, flags, signal, source }) =>
    Promise.resolve(
      new ShmEcho({
        source,
        endpoint,
        geometry: options.geometry,
        slots: slotsFlag(flags.slots),
        variant: options.variant,
        timeoutSeconds: options.timeout,
        signal,
      }),
    ),
  runtime: ({ options, flags }) =>
    runtimeInfo([], {
      slots: String(slotsFlag(flags.slots)),
      ...(options.variant === "zmq" ? { libzmq: libzmqVersion() } : {}),
    }),
};

if (import.meta.main) clientMain(COMMAND);
