#!/usr/bin/env -S deno run --allow-ffi --allow-read --allow-env
/**
 * The shared-memory publisher (the stream mode): a broadcast ring
 * `/dev/shm/NAME` (broadcast_layout.ts, broadcast_ring.ts) that it makes,
 * writes and removes; any number of `deno task shm:sub` read its slots in
 * place.
 *
 *     deno task shm:pub [--endpoint shm://framebench-stream] [--fps 30] [--overflow drop|block] [--slots 8] [--loan]
 *
 * - `--overflow drop` (the default): the publisher never waits at a set
 *   rate; a subscriber that falls `--slots` frames behind skips to the
 *   newest, and one whose frame is overwritten while it reads it learns so
 *   from the slot's sequence word (a dropped frame, never a wrong one). At
 *   `--fps max` each frame waits for one subscriber to have taken the previous.
 * - `--overflow block`: a frame waits until every subscriber is done with the
 *   one its slot holds: the slowest sets the pace.
 *
 * Copies: by default each frame is copied once, from the source's pool into
 * its slot (the pool frame is reused `poolSize` frames later, the slot is read
 * by the subscribers meanwhile). With `--loan` the publisher renders the frame
 * in its slot instead: when the slot already holds the same pool frame's
 * pixels (`--slots` a multiple of the pool, 8 at 1080p), only the 16 bytes of
 * stamps and the properties are written; otherwise it copies as without.
 *
 * @module
 */

import { releaseOnExit } from "../common/cleanup.ts";
import type { Endpoint } from "../common/endpoint.ts";
import { numberFlag, UsageError } from "../common/flags.ts";
import { type FrameGeometry, frameGeometry } from "../common/frame.ts";
import type { FrameProperties } from "../common/properties.ts";
import { type PublisherCommand, publisherMain } from "../common/publisher_main.ts";
import { writeStamp } from "../common/source.ts";
import type { FramePublisher, Overflow, TargetFps } from "../common/stream.ts";
import {
  BROADCAST,
  BROADCAST_VERSION,
  broadcastLayout,
  OverflowCode,
  writeBroadcastHeader,
} from "./broadcast_layout.ts";
import { ahead, BroadcastRing, type Place } from "./broadcast_ring.ts";
import { createSegment } from "./create_segment.ts";
import { segmentName } from "./endpoint.ts";
import { PAGE_BYTES, ringBytes, SegmentKind } from "./layout.ts";
import { type SharedMemoryPlatform, sharedMemoryPlatform } from "./platform.ts";
import { WAIT_SLICE_MS } from "./ring.ts";

/** Where the publisher publishes by default. */
export const DEFAULT_STREAM_ENDPOINT = "shm://framebench-stream";
/** Slots by default: the source's pool at 1080p, so that `--loan` writes only the stamps. */
export const DEFAULT_SLOTS = 8;

/** Options of {@linkcode openShmPublisher}. */
export interface ShmPublisherOptions {
  /** An `shm://NAME` endpoint: the segment's name (another kind is refused). */
  endpoint: Endpoint;
  /** Geometry of the frames. */
  geometry: FrameGeometry;
  /** What a slow subscriber gets. Default: `drop`. */
  overflow?: Overflow;
  /** The target rate: at `max` under `drop`, each frame waits for a subscriber. Default: 30. */
  fps?: TargetFps;
  /** Slots of the ring. Default: {@linkcode DEFAULT_SLOTS}. */
  slots?: number;
  /** Render each frame in its slot (stamps only where the slot holds the pixels). Default: false. */
  loan?: boolean;
  /** Frames of the source's pool (frame i shows pool frame i % poolSize). Default: 8. */
  poolSize?: number;
  /** Where notes go (stale segment replaced, subscriber gone). Default: stderr. */
  log?: (line: string) => void;
}

/** Publishes frames into a broadcast ring in shared memory. */
export class ShmPublisher implements FramePublisher {
  readonly endpoint: string;
  readonly #platform: SharedMemoryPlatform;
  readonly #ring: BroadcastRing;
  readonly #overflow: Overflow;
  readonly #waitForOne: boolean;
  readonly #loan: boolean;
  readonly #poolSize: number;
  readonly #log: (line: string) => void;
  /** Under `--loan`: the pool frame whose pixels each slot holds, -1 for none. */
  readonly #inSlot: number[];
  readonly #remove: () => void;
  #posts = 0;

  constructor(platform: SharedMemoryPlatform, ring: BroadcastRing, options: ShmPublisherOptions) {
    this.#platform = platform;
    this.#ring = ring;
    this.endpoint = options.endpoint.url;
    this.#overflow = options.overflow ?? "drop";
    this.#waitForOne = this.#overflow === "drop" && options.fps === "max";
    this.#loan = options.loan ?? false;
    this.#poolSize = options.poolSize ?? 8;
    this.#log = options.log ?? ((line) => console.error(`shm:pub: ${line}`));
    this.#inSlot = new Array(ring.layout.slotCount).fill(-1);
    // Unmaps the ring and removes its name (subscribers keep their mappings),
    // at close() or, killed by an uncaught error or a second Ctrl-C, at exit.
    this.#remove = releaseOnExit(() => {
      this.#ring.segment.close();
      this.#platform.unlink(ring.segment.name);
    });
  }

  /** The live subscribers; those whose process is gone lose their place here. */
  get subscribers(): number {
    return this.#live().length;
  }

  #live(): Place[] {
    const live: Place[] = [];
    for (const s of this.#ring.subscribers()) {
      if (this.#platform.processAlive(s.pid)) {
        live.push(s);
        continue;
      }
      this.#ring.free(s.place);
      this.#log(`subscriber pid ${s.pid} is gone: its place is freed`);
    }
    return live;
  }

  /** Waits until `ready` holds for the live subscribers (re-checked at each release). */
  async #waitUntil(ready: (live: Place[]) => boolean): Promise<void> {
    for (;;) {
      const word = this.#ring.load(BROADCAST.released);
      if (ready(this.#live())) return;
      await this.#ring.segment.wait(BROADCAST.released, word, WAIT_SLICE_MS);
    }
  }

  async publish(frame: Uint8Array, properties: FrameProperties): Promise<void> {
    const p = this.#posts;
    const slots = this.#ring.layout.slotCount;
    if (this.#overflow === "block") {
      // Every subscriber done with post p - slots, the one this slot holds.
      await this.#waitUntil((live) => live.every((s) => ahead(s.released, p - slots) > 0));
    } else if (this.#waitForOne) {
      // As fast as the fastest: someone took post p - 1 (or there is nobody).
      await this.#waitUntil((live) =>
        live.length === 0 || live.some((s) => ahead(s.taken, p) >= 0)
      );
    }
    const s = this.#ring.slotOf(p);
    const slot = this.#ring.beginPost(p);
    const pool = properties.index % this.#poolSize;
    if (this.#loan && this.#inSlot[s] === pool && slot.byteLength === frame.byteLength) {
      // Rendered in place: the slot holds this pool frame's pixels already.
      writeStamp(slot, properties.index);
    } else {
      // The one copy of a frame: from the source's pool into the slot, which the
      // subscribers read in place while the pool frame is reused.
      slot.set(frame);
      this.#inSlot[s] = pool;
    }
    this.#ring.completePost(p, properties);
    this.#posts = p + 1;
  }

  end(published: number): void {
    this.#ring.end(published);
  }

  close(): void {
    this.#remove();
  }
}

/**
 * Makes the broadcast ring `options.endpoint` and returns its publisher. A
 * ring left by a publisher that is gone is replaced (and logged); one of a
 * live publisher, or a segment that is not a stream, is refused in one line.
 */
export async function openShmPublisher(options: ShmPublisherOptions): Promise<ShmPublisher> {
  const platform = await sharedMemoryPlatform();
  const name = segmentName(options.endpoint);
  const layout = broadcastLayout(options.geometry, options.slots ?? DEFAULT_SLOTS);
  const segment = await createSegment(platform, name, {
    bytes: ringBytes(layout),
    kind: SegmentKind.stream,
    version: BROADCAST_VERSION,
    maker: "publisher",
    log: options.log ?? ((line) => console.error(`shm:pub: ${line}`)),
  });
  writeBroadcastHeader(
    new Uint8Array(segment.buffer, 0, PAGE_BYTES),
    layout,
    OverflowCode[options.overflow ?? "drop"],
    Deno.pid,
  );
  return new ShmPublisher(platform, new BroadcastRing(segment, layout), options);
}

/** Parses `--slots`. */
function slotsFlag(value: string | boolean | undefined): number {
  const slots = numberFlag("slots", value, { integer: true });
  try {
    broadcastLayout(frameGeometry(8, 8, "rgb24"), slots);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return slots;
}

const COMMAND: PublisherCommand = {
  name: "shm:pub",
  transport: "shm",
  summary:
    "Publishes frames into a shared-memory broadcast ring read by every `deno task shm:sub`.",
  endpoint: { default: DEFAULT_STREAM_ENDPOINT, kinds: ["shm"] },
  overflow: ["drop", "block"],
  flags: {
    slots: { type: "string", default: String(DEFAULT_SLOTS), description: "frames the ring holds" },
    loan: {
      type: "boolean",
      description: "render each frame in its slot (stamps only), instead of copying it there",
    },
  },
  open: ({ endpoint, flags, geometry, overflow, fps, poolSize }) =>
    openShmPublisher({
      endpoint,
      geometry,
      overflow,
      fps,
      poolSize,
      slots: slotsFlag(flags.slots),
      loan: flags.loan === true,
    }),
};

if (import.meta.main) publisherMain(COMMAND);
