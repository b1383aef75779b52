#!/usr/bin/env -S deno run --allow-ffi --allow-read --allow-env
/**
 * The shared-memory subscriber (the stream mode): it maps the broadcast ring
 * of `deno task shm:pub`, takes a place in its cursor table, and reads each
 * frame in place: no copy, the frame given to the common loop is a view of
 * the slot. After the frame is verified, the slot's sequence word tells
 * whether the publisher overwrote it meanwhile (then the frame counts as
 * dropped). See broadcast_ring.ts for the protocol.
 *
 *     deno task shm:sub [--endpoint shm://framebench-stream] [--slow 0]
 *
 * @module
 */

import { releaseOnExit } from "../common/cleanup.ts";
import type { Endpoint } from "../common/endpoint.ts";
import { type FrameGeometry, sizeName } from "../common/frame.ts";
import type { FrameSubscription, StreamMessage } from "../common/stream.ts";
import { type SubscriberCommand, subscriberMain } from "../common/subscriber_main.ts";
import {
  BROADCAST,
  MAX_SUBSCRIBERS,
  readBroadcastHeader,
  StreamState,
} from "./broadcast_layout.ts";
import { ahead, BroadcastRing, completeSeq } from "./broadcast_ring.ts";
import { unsealed } from "./layout.ts";
import { type SharedMemoryPlatform, sharedMemoryPlatform } from "./platform.ts";
import { WAIT_SLICE_MS } from "./ring.ts";
import { segmentName } from "./endpoint.ts";
import { DEFAULT_STREAM_ENDPOINT } from "./publisher.ts";

/** A subscription to a broadcast ring. */
export class ShmSubscription implements FrameSubscription {
  readonly endpoint: string;
  readonly #platform: SharedMemoryPlatform;
  readonly #ring: BroadcastRing;
  readonly #owner: number;
  readonly #place: number;
  readonly #leave: () => void;
  /** The next post to take (a full count). */
  #taken: number;
  /** The post being read, if any. */
  #reading: number | undefined;
  #closed = false;

  constructor(
    platform: SharedMemoryPlatform,
    endpoint: string,
    ring: BroadcastRing,
    owner: number,
    place: number,
    from: number,
  ) {
    this.#platform = platform;
    this.endpoint = endpoint;
    this.#ring = ring;
    this.#owner = owner;
    this.#place = place;
    this.#taken = from;
    // Frees the place in the cursor table and unmaps the ring, at close() or,
    // for a subscriber that dies of an error or a second Ctrl-C, at exit.
    this.#leave = releaseOnExit(() => {
      this.#closed = true;
      this.#ring.free(this.#place);
      this.#ring.segment.close();
    });
  }

  async next(): Promise<StreamMessage> {
    const ring = this.#ring;
    const slots = ring.layout.slotCount;
    for (;;) {
      if (this.#closed) throw new Error("the subscription is closed");
      const published32 = ring.published32;
      const waiting = ahead(published32, this.#taken);
      if (waiting > 0) {
        // Lapped by the writer (drop): what it missed is gone, skip to the
        // newest complete frame. Within the ring, frames are read in order.
        if (waiting > slots) this.#taken += waiting - 1;
        const q = this.#taken;
        const s = ring.slotOf(q);
        const seq = completeSeq(q);
        if (ring.seq(s) !== seq) {
          this.#taken = q + 1; // overwritten already: a gap the common loop counts
          continue;
        }
        const properties = ring.properties(s);
        if (ring.seq(s) !== seq) {
          this.#taken = q + 1;
          continue;
        }
        ring.take(this.#place, q);
        this.#taken = q + 1;
        this.#reading = q;
        // The frame in place: no copy.
        return { kind: "frame", frame: ring.slot(s), properties };
      }
      if (ring.state === StreamState.ended) return { kind: "end", published: ring.endCount };
      if (!this.#platform.processAlive(this.#owner)) {
        throw new Error(`the publisher of ${this.endpoint} (pid ${this.#owner}) is gone`);
      }
      await ring.segment.wait(BROADCAST.published, published32, WAIT_SLICE_MS);
    }
  }

  release(): boolean {
    const q = this.#reading;
    if (q === undefined) return true;
    this.#reading = undefined;
    // Unchanged since next() read it: the frame read was post q, whole.
    const whole = this.#ring.seq(this.#ring.slotOf(q)) === completeSeq(q);
    this.#ring.release(this.#place, q);
    return whole;
  }

  close(): void {
    this.#leave();
  }
}

/**
 * Subscribes to the broadcast ring `endpoint`, starting at the next frame;
 * throws one line when nothing publishes there or every place is taken.
 */
export async function subscribeShm(
  endpoint: Endpoint,
  geometry: FrameGeometry,
): Promise<ShmSubscription> {
  const name = segmentName(endpoint);
  const platform = await sharedMemoryPlatform();
  const where = platform.describe(name);
  const hint = "is `deno task shm:pub` running, with the same --endpoint?";
  let segment = platform.open(name);
  for (
    let tries = 0;
    segment && unsealed(new Uint8Array(segment.buffer, 0, segment.bytes));
    tries++
  ) {
    // A publisher is setting it up (the magic comes last).
    segment.close();
    if (tries === 20) throw new Error(`no publisher finished setting up ${where}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    segment = platform.open(name);
  }
  if (!segment) throw new Error(`no publisher at ${where}: ${hint}`);
  try {
    const header = new Uint8Array(segment.buffer, 0, segment.bytes);
    const layout = readBroadcastHeader(header, where);
    const ring = new BroadcastRing(segment, layout);
    if (sizeName(layout.geometry) !== sizeName(geometry)) {
      throw new Error(
        `${where} carries ${sizeName(layout.geometry)} frames, not ${
          sizeName(geometry)
        }: match --size`,
      );
    }
    if (!platform.processAlive(layout.ownerPid) || ring.state !== StreamState.publishing) {
      throw new Error(`no live publisher at ${where} (pid ${layout.ownerPid} is gone or done)`);
    }
    const from = ring.published32;
    const place = ring.claim(Deno.pid, from);
    if (place === undefined) {
      throw new Error(`${where} has ${MAX_SUBSCRIBERS} subscribers already, its most`);
    }
    return new ShmSubscription(platform, endpoint.url, ring, layout.ownerPid, place, from);
  } catch (error) {
    segment.close();
    throw error;
  }
}

const COMMAND: SubscriberCommand = {
  name: "shm:sub",
  transport: "shm",
  summary: "Reads and verifies, in place, the frames of `deno task shm:pub` in shared memory.",
  endpoint: { default: DEFAULT_STREAM_ENDPOINT, kinds: ["shm"] },
  connect: ({ endpoint, options }) => subscribeShm(endpoint, options.geometry),
};

if (import.meta.main) subscriberMain(COMMAND);
