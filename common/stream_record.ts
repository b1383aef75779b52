/**
 * The records of the stream mode: the publisher's and each subscriber's, one
 * JSON line each with `--json`, and their readable summaries.
 *
 * @module
 */

import type { TargetFps } from "./pacer.ts";
import type { RunStatus, RuntimeInfo } from "./record.ts";
import type { FrameErrorKind } from "./verify.ts";

/**
 * What a publisher does when a subscriber cannot take the next frame:
 * `block` waits for it (every subscriber gets every frame, the slowest sets
 * the pace), `drop` sends it on to the others (the slow one misses frames).
 */
export type Overflow = "block" | "drop";

/** What the publisher's and every subscriber's records share. */
export interface StreamRecordBase {
  /** Transport name, e.g. `zmq`. */
  transport: string;
  /** Where subscribers connect (the publisher) or connected (a subscriber), as a URL. */
  endpoint: string;
  /** Frame width in pixels. */
  width: number;
  /** Frame height in pixels. */
  height: number;
  /** Pixel format. */
  format: string;
  /** Bytes of one raw frame. */
  frameBytes: number;
  /** Why the run failed, when it did. */
  reason?: string;
  /** Versions of what ran. */
  runtime: RuntimeInfo;
}

/** The record a publisher prints when its stream ends. */
export interface PublisherRecord extends StreamRecordBase {
  /** Always `publisher`. */
  role: "publisher";
  /** The target rate (`--fps`). */
  targetFps: TargetFps;
  /** What was done with a subscriber that could not keep up (`--overflow`). */
  overflow: Overflow;
  /** Frames published. */
  published: number;
  /** Seconds from the first frame published to the last. */
  seconds: number;
  /** Frames published per second. */
  fps: number;
  /** Raw frame MB (10^6 bytes) published per second (to each subscriber). */
  mbPerS: number;
  /** CPU ms (user + system) of the publisher process per frame published. */
  cpuMsPerFrame: number;
  /** Frame slots of the steady clock missed because publishing was late. */
  skipped: number;
  /** Most subscribers connected at once. */
  subscribers: number;
  /** Times a subscriber left while frames were published. */
  left: number;
  /** `ok`, `interrupted` (Ctrl-C ends a stream with no end set: also `ok`) or `failed`. */
  status: RunStatus;
}

/** The record a subscriber prints when its stream ends. */
export interface SubscriberRecord extends StreamRecordBase {
  /** Always `subscriber`. */
  role: "subscriber";
  /** Frames published from the first one this subscriber got to the end. */
  published: number;
  /** Frames received whole (verified or not). */
  frames: number;
  /** Frames that passed verification. */
  verified: number;
  /** Frames published and never received (gaps in the index, or overwritten while read). */
  dropped: number;
  /** Frames that failed verification (wrong, stale, torn, corrupt). */
  errors: number;
  /** Failures by kind. */
  errorKinds: Partial<Record<FrameErrorKind, number>>;
  /** The first failure, as one line, when there was one. */
  firstError?: string;
  /** Frames, after the warm-up, that arrived more than `deadlineMs` after they were published. */
  late: number;
  /** The deadline of a frame, in ms after its publish time (`--deadline`). */
  deadlineMs: number;
  /** Deliberate work per frame, in ms (`--slow`): a slow consumer. */
  slowMs: number;
  /** Seconds measured (after the warm-up). */
  seconds: number;
  /** Frames received per second, after the warm-up. */
  fps: number;
  /** Raw frame MB (10^6 bytes) received per second. */
  mbPerS: number;
  /** One-way latency (publish to received) percentiles in ms, after the warm-up. */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Which clock the latency is on: `monotonic` (shared by the machine's processes) or `wall`. */
  clock: "monotonic" | "wall";
  /** CPU ms (user + system) of the subscriber process per frame, after the warm-up. */
  cpuMsPerFrame: number;
  /** `ok` (the stream ended, or `--seconds` passed), `interrupted` or `failed`. */
  status: RunStatus;
}

/** "1 subscriber", "4 subscribers". */
export function subscribersText(n: number): string {
  return `${n} subscriber${n === 1 ? "" : "s"}`;
}

/** A readable summary of a publisher's record, a few lines for a terminal. */
export function formatPublisher(r: PublisherRecord): string {
  return [
    `${r.transport} publisher ${r.width}x${r.height} ${r.format} at ${r.endpoint}: ${r.status}${
      r.reason ? ` (${r.reason})` : ""
    }`,
    `  ${r.published} frames in ${r.seconds.toFixed(2)} s: ${
      r.fps.toFixed(1)
    } fps (target ${r.targetFps}), ${
      r.mbPerS.toFixed(0)
    } MB/s to each subscriber, ${r.skipped} frame slots missed`,
    `  ${
      subscribersText(r.subscribers)
    } at most, ${r.left} left during the stream; --overflow ${r.overflow}`,
    `  CPU ${r.cpuMsPerFrame.toFixed(3)} ms per frame (publisher)`,
  ].join("\n");
}

/** A readable summary of a subscriber's record, a few lines for a terminal. */
export function formatSubscriber(r: SubscriberRecord): string {
  const l = r.latencyMs;
  return [
    `${r.transport} subscriber ${r.width}x${r.height} ${r.format} from ${r.endpoint}: ${r.status}${
      r.reason ? ` (${r.reason})` : ""
    }`,
    `  ${r.frames} of ${r.published} frames published (${r.dropped} dropped), ${
      r.fps.toFixed(1)
    } fps, ${r.mbPerS.toFixed(0)} MB/s`,
    `  one way p50 ${l.p50.toFixed(2)} ms, p90 ${l.p90.toFixed(2)}, p99 ${l.p99.toFixed(2)}, max ${
      l.max.toFixed(2)
    } (${r.clock} clock); ${r.late} later than ${r.deadlineMs.toFixed(1)} ms`,
    `  CPU ${r.cpuMsPerFrame.toFixed(3)} ms per frame (subscriber)${
      r.slowMs > 0 ? `, ${r.slowMs} ms of deliberate work per frame` : ""
    }`,
    `  verified ${r.verified}, errors ${r.errors}${
      r.firstError ? ` (first: ${r.firstError})` : ""
    }`,
  ].join("\n");
}
