/**
 * The stream mode: one publisher sends frames one way, at its own pace, to
 * any number of subscribers, as a camera feeds a display, a recorder and a
 * model. A transport only publishes ({@linkcode FramePublisher}) and
 * subscribes ({@linkcode FrameSubscription}); pacing, stamping, verification,
 * drop and latency counts, progress and the records are done here, the same
 * way for every transport.
 *
 * Each frame carries its index and its publish time on the clock that the
 * processes of one machine share (common/clock.ts), so that a subscriber
 * measures one-way latency. A stream ends with {@linkcode encodeStreamEnd}'s
 * properties, which carry the number of frames published: what a subscriber
 * missed at the end is counted too.
 *
 * @module
 */

import { errorLine } from "./cli.ts";
import { SHARED_CLOCK, sharedClockMs } from "./clock.ts";
import type { FrameDisplay } from "./display.ts";
import { type FrameGeometry, parseSize, sizeName } from "./frame.ts";
import { Meter } from "./meter.ts";
import { Pacer, type TargetFps } from "./pacer.ts";
import { closeRun, endedBy } from "./run_end.ts";
import type { FrameProperties } from "./properties.ts";
import { type RunStatus, type RuntimeInfo, runtimeInfo } from "./record.ts";
import {
  type Overflow,
  type PublisherRecord,
  type StreamRecordBase,
  type SubscriberRecord,
  subscribersText,
} from "./stream_record.ts";
import { FrameSource } from "./source.ts";
import { checkFrame, type FrameErrorKind } from "./verify.ts";

export type { TargetFps } from "./pacer.ts";
export type { Overflow, PublisherRecord, SubscriberRecord } from "./stream_record.ts";

/** A transport's publishing side, as {@linkcode runPublisher} drives it. */
export interface FramePublisher {
  /** Where subscribers connect, as a URL. */
  readonly endpoint: string;
  /** Subscribers connected now. */
  readonly subscribers: number;
  /**
   * Sends frame `properties.index` to every subscriber, or starts to; under
   * `block` it resolves once every subscriber has room for it, under `drop`
   * at once (a subscriber that has no room misses the frame). `frame` keeps
   * its bytes until `publish` has been called `poolSize - 1` more times (the
   * frame source's pool; see {@linkcode PublisherContext}): a transport that
   * may hold a frame longer copies it.
   */
  publish(frame: Uint8Array, properties: FrameProperties): Promise<void> | void;
  /** Ends the stream: every subscriber gets the end, with the number of frames published. */
  end(published: number): Promise<void> | void;
  /** Releases everything the transport holds. */
  close(): Promise<void> | void;
}

/** One message of a stream, as {@linkcode FrameSubscription.next} gives it. */
export type StreamMessage =
  | {
    kind: "frame";
    /** The frame's bytes; valid until {@linkcode FrameSubscription.release}. */
    frame: Uint8Array;
    /** Its index, geometry and publish time. */
    properties: FrameProperties;
  }
  | {
    kind: "end";
    /** Frames the publisher published in all. */
    published: number;
  };

/** A transport's subscribing side, as {@linkcode runSubscriber} drives it. */
export interface FrameSubscription {
  /** Where it is connected, as a URL. */
  readonly endpoint: string;
  /**
   * The next whole frame (a subscriber that joins mid-stream starts at the
   * next whole frame), or the end of the stream. Rejects when the publisher
   * is gone.
   */
  next(): Promise<StreamMessage>;
  /**
   * Done with the frame from `next()`: its memory may be reused. Returns
   * false when the publisher overwrote it while it was read (a ring that
   * drops for a slow subscriber): the frame is then counted as dropped, not
   * as an error. Default: true.
   */
  release?(): boolean;
  /** Releases everything the transport holds. */
  close(): Promise<void> | void;
}

/** What a transport's `openPublisher` gets to know. */
export interface PublisherContext {
  /** Geometry of the frames published. */
  geometry: FrameGeometry;
  /** What to do with a subscriber that cannot keep up. */
  overflow: Overflow;
  /**
   * The target rate. At `max` under `drop`, `publish` should wait until one
   * subscriber at least can take the frame (as fast as the fastest
   * subscriber), or the publisher would only count frames nobody got.
   */
  fps: TargetFps;
  /** Frames of the source's pool: a published frame's bytes are reused after this many. */
  poolSize: number;
}

/** What {@linkcode runPublisher} takes besides the publisher; every field has a default. */
export interface PublishRun {
  /** Transport name for the record. Default: `custom`. */
  transport?: string;
  /** Geometry of the frames. Default: 1080p rgb24. */
  geometry?: FrameGeometry;
  /** Target rate. Default: 30. */
  fps?: TargetFps;
  /** Seconds to publish. Default: until the signal aborts. */
  seconds?: number;
  /** Frames to publish. Default: no limit. */
  frames?: number;
  /** Subscribers to wait for before the first frame. Default: 0, start at once. */
  subscribers?: number;
  /** Seconds to wait for them. Default: 10. */
  timeout?: number;
  /** For the record: what the publisher does with a slow subscriber. Default: `drop`. */
  overflow?: Overflow;
  /** Stops publishing (Ctrl-C); the stream then ends normally. */
  signal?: AbortSignal;
  /** Where progress lines go. Default: stderr. */
  progress?: (line: string) => void;
  /** The frames. Default: a new {@linkcode FrameSource} of the geometry. */
  source?: FrameSource;
  /** Versions for the record. Default: the runtime's, no packages. */
  runtime?: RuntimeInfo;
}

const encoder = new TextEncoder();
function stderrLine(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Publishes frames at the target rate until `seconds` pass or the signal
 * aborts, ends the stream, and returns the publisher's record. Waits first
 * for `subscribers` subscribers. Does not throw: a failed stream still
 * returns what was published up to then. Does not close the publisher.
 */
export async function runPublisher(
  publisher: FramePublisher,
  run: PublishRun = {},
): Promise<PublisherRecord> {
  const geometry = run.geometry ?? parseSize("1080p");
  const fps = run.fps ?? 30;
  const progress = run.progress ?? stderrLine;
  const label = `${run.transport ?? "custom"} publisher ${sizeName(geometry)}`;
  const source = run.source ?? new FrameSource(geometry);
  const pacer = new Pacer(fps);
  const meter = new Meter({ frameBytes: geometry.frameBytes, warmupSeconds: 0 });
  let published = 0;
  let status: RunStatus = "ok";
  let reason: string | undefined;
  let most = publisher.subscribers;
  let left = 0;
  let connected = publisher.subscribers;
  const watchSubscribers = () => {
    const now = publisher.subscribers;
    if (now < connected) left += connected - now;
    if (now !== connected) progress(`${label}: ${subscribersText(now)}`);
    connected = now;
    most = Math.max(most, now);
  };
  try {
    const wanted = run.subscribers ?? 0;
    const waitUntil = performance.now() + (run.timeout ?? 10) * 1000;
    // On the count watched (not a fresh read): a subscriber seen joining is
    // then counted as `left` if it goes before the first progress line.
    while (connected < wanted && !run.signal?.aborted) {
      if (performance.now() > waitUntil) {
        throw new Error(
          `${publisher.subscribers} of ${wanted} subscribers joined within ${run.timeout ?? 10} s`,
        );
      }
      await pause(5, run.signal);
      watchSubscribers();
    }
    const properties: FrameProperties = { ...geometry, index: 0, slot: 0xffff, sentAt: 0 };
    const endAt = run.seconds === undefined ? Infinity : performance.now() + run.seconds * 1000;
    let nextProgress = performance.now() + 1000;
    meter.start();
    for (let index = 0;; index++) {
      await pacer.next();
      if (run.signal?.aborted || performance.now() >= endAt || index === run.frames) break;
      const frame = source.frame(index);
      properties.index = index;
      properties.sentAt = sharedClockMs();
      await publisher.publish(frame, properties);
      published++;
      meter.record(0);
      watchSubscribers(); // every frame: a leave and a join within a second both count
      if (performance.now() >= nextProgress) {
        nextProgress = performance.now() + 1000;
        const rate = meter.frames / (meter.elapsedMs / 1000);
        progress(`${label}: ${rate.toFixed(1)} fps, ${subscribersText(connected)}`);
      }
    }
    watchSubscribers();
    await publisher.end(published);
  } catch (error) {
    status = "failed";
    reason = errorLine(error);
  }
  const summary = meter.summary();
  return {
    role: "publisher",
    ...recordHead(run.transport, publisher.endpoint, geometry),
    targetFps: fps,
    overflow: run.overflow ?? "drop",
    published,
    seconds: summary.seconds,
    fps: summary.fps,
    mbPerS: summary.mbPerS,
    cpuMsPerFrame: summary.cpuMsPerFrame,
    skipped: pacer.skipped,
    subscribers: most,
    left,
    status,
    ...(reason === undefined ? {} : { reason }),
    runtime: run.runtime ?? runtimeInfo(),
  };
}

/** What {@linkcode runSubscriber} takes besides the subscription; every field has a default. */
export interface SubscribeRun {
  /** Transport name for the record. Default: `custom`. */
  transport?: string;
  /** Geometry of the frames expected. Default: 1080p rgb24. */
  geometry?: FrameGeometry;
  /** Seconds to measure after the warm-up. Default: until the stream ends. */
  seconds?: number;
  /** Seconds after the first frame whose latency is not measured. Default: 1. */
  warmup?: number;
  /**
   * Seconds without a frame after which the publisher counts as gone.
   * Default: 5 ({@linkcode FIRST_FRAME_MS} at least before the first frame).
   */
  timeout?: number;
  /** A frame is late when it arrives more than this many ms after its publish time. Default: 33.3 (a period at 30 fps). */
  deadlineMs?: number;
  /** Deliberate work per frame, in ms (a slow consumer). Default: 0. */
  slowMs?: number;
  /** Stop at the first frame that fails verification. Default: false. */
  strict?: boolean;
  /** Show the frames in a window. Default: false. */
  display?: boolean;
  /** Stops the subscriber (status `interrupted`). */
  signal?: AbortSignal;
  /** Where progress lines go. Default: stderr. */
  progress?: (line: string) => void;
  /** The frames expected. Default: a new {@linkcode FrameSource} of the geometry. */
  source?: FrameSource;
  /** Versions for the record. Default: the runtime's, no packages. */
  runtime?: RuntimeInfo;
}

/** Most ms a subscriber waits for its first frame (the publisher may wait for others to join). */
export const FIRST_FRAME_MS = 30_000;

/**
 * Receives, verifies and counts frames until the stream ends, `seconds` pass,
 * the publisher is gone (`timeout` without a frame) or the signal aborts, and
 * returns the subscriber's record. Does not throw. Closes the subscription.
 */
export async function runSubscriber(
  subscription: FrameSubscription,
  run: SubscribeRun = {},
): Promise<SubscriberRecord> {
  const geometry = run.geometry ?? parseSize("1080p");
  const progress = run.progress ?? stderrLine;
  const source = run.source ?? new FrameSource(geometry);
  const timeoutMs = (run.timeout ?? 5) * 1000;
  const deadlineMs = run.deadlineMs ?? 1000 / 30;
  const slowMs = run.slowMs ?? 0;
  const label = `${run.transport ?? "custom"} subscriber ${sizeName(geometry)}`;
  const meter = new Meter({ frameBytes: geometry.frameBytes, warmupSeconds: run.warmup ?? 1 });
  const errorKinds: SubscriberRecord["errorKinds"] = {};
  let frames = 0;
  let verified = 0;
  let dropped = 0;
  let errors = 0;
  let late = 0;
  let firstError: string | undefined;
  let first: number | undefined; // index of the first frame received
  let expected = 0; // index of the next frame
  let published: number | undefined;
  let status: RunStatus = "ok";
  let reason: string | undefined;
  let display: FrameDisplay | undefined;
  const count = (kind: FrameErrorKind, message: string) => {
    errors++;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    firstError ??= message;
    if (errors <= 3) progress(`error: ${message}`);
    if (run.strict) throw new Error(`--strict: ${firstError}`);
  };
  try {
    if (run.display) {
      const { openDisplay } = await import("./display.ts");
      display = await openDisplay(geometry, `framebench: ${label}`);
    }
    let nextProgress = performance.now() + 1000;
    for (;;) {
      if (run.signal?.aborted) {
        status = "interrupted";
        reason = "interrupted by signal";
        break;
      }
      if (display?.closed) {
        reason = "window closed";
        break;
      }
      if (run.seconds !== undefined && meter.elapsedMs >= run.seconds * 1000) break;
      // Before the first frame the publisher may be waiting for other subscribers.
      const wait = first === undefined ? Math.max(timeoutMs, FIRST_FRAME_MS) : timeoutMs;
      const message = await within(subscription.next(), wait, subscription, run.signal);
      if (message.kind === "end") {
        published = message.published;
        // What was published after the last frame received never came.
        if (first !== undefined) dropped += Math.max(0, published - expected);
        break;
      }
      const received = sharedClockMs();
      const { frame, properties: p } = message;
      if (first === undefined) {
        first = expected = p.index;
        meter.start();
      }
      if (p.index > expected) dropped += p.index - expected;
      const problem = p.width !== geometry.width || p.height !== geometry.height
        ? {
          kind: "size" as const,
          message: `frame ${p.index}: ${p.width}x${p.height}, expected ${sizeName(geometry)}`,
        }
        : p.index < expected
        ? {
          kind: "stale" as const,
          message: `frame ${p.index} after frame ${expected - 1}: out of order`,
        }
        // Verification compares every byte: it is also the consumer reading the frame.
        : checkFrame(source, frame, p.index);
      if (!problem) {
        display?.show(frame, meter.measuring ? meter.frames / (meter.elapsedMs / 1000) : 0);
      }
      const whole = subscription.release?.() ?? true;
      expected = Math.max(expected, p.index + 1);
      if (!whole) {
        dropped++; // overwritten by the publisher while it was read: it never arrived whole
        continue;
      }
      frames++;
      if (problem) count(problem.kind, problem.message);
      else verified++;
      const latency = received - p.sentAt;
      meter.record(latency);
      if (meter.measuring && latency > deadlineMs) late++; // as the percentiles: after the warm-up
      if (performance.now() >= nextProgress) {
        nextProgress = performance.now() + 1000;
        progress(
          `${label}: ${
            meter.frames > 0
              ? `${(meter.frames / (meter.elapsedMs / 1000)).toFixed(1)} fps`
              : "warm-up"
          }, latency ${latency.toFixed(2)} ms, ${dropped} dropped, ${errors} errors`,
        );
      }
      if (slowMs > 0) await pause(slowMs, run.signal);
    }
  } catch (error) {
    ({ status, reason } = endedBy(error, run.signal));
  } finally {
    await closeRun(display, subscription, progress);
  }
  const summary = meter.summary();
  return {
    role: "subscriber",
    ...recordHead(run.transport, subscription.endpoint, geometry),
    published: first === undefined ? (published ?? 0) : (published ?? expected) - first,
    frames,
    verified,
    dropped,
    errors,
    errorKinds,
    ...(firstError === undefined ? {} : { firstError }),
    late,
    deadlineMs,
    slowMs,
    seconds: summary.seconds,
    fps: summary.fps,
    mbPerS: summary.mbPerS,
    latencyMs: summary.latencyMs,
    clock: SHARED_CLOCK,
    cpuMsPerFrame: summary.cpuMsPerFrame,
    status,
    ...(reason === undefined ? {} : { reason }),
    runtime: run.runtime ?? runtimeInfo(),
  };
}

/** The fields that open both records: the transport, where it ran, the frames' geometry. */
function recordHead(
  transport: string | undefined,
  endpoint: string,
  geometry: FrameGeometry,
): Omit<StreamRecordBase, "reason" | "runtime"> {
  return {
    transport: transport ?? "custom",
    endpoint,
    width: geometry.width,
    height: geometry.height,
    format: geometry.format,
    frameBytes: geometry.frameBytes,
  };
}

/**
 * Waits for the next message at most `timeoutMs` and not past the signal; a
 * late one means the publisher is gone (the subscription is then closed, so
 * that a pending read ends).
 */
async function within(
  next: Promise<StreamMessage>,
  timeoutMs: number,
  subscription: FrameSubscription,
  signal?: AbortSignal,
): Promise<StreamMessage> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const gone = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `no frame from ${subscription.endpoint} within ${
              timeoutMs / 1000
            } s: the publisher is gone`,
          ),
        ),
      timeoutMs,
    );
    onAbort = () => reject(new Error("interrupted"));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([next, gone]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}
