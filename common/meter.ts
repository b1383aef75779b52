/**
 * The meter: warm-up, then frames per second, MB/s, round-trip latency
 * percentiles and CPU time per frame of the measuring process.
 *
 * @module
 */

import process from "node:process";

/** Latency percentiles of the measured round trips, in milliseconds. */
export interface LatencySummary {
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 99th percentile. */
  p99: number;
  /** Slowest round trip. */
  max: number;
}

/** What the meter measured after the warm-up. */
export interface MeterSummary {
  /** Frames completed after the warm-up. */
  frames: number;
  /** Seconds from the end of the warm-up to the last completed frame. */
  seconds: number;
  /** frames / seconds. */
  fps: number;
  /** Raw frame bytes moved one way per second, in MB (10^6 bytes). */
  mbPerS: number;
  /** Round-trip latency percentiles. */
  latencyMs: LatencySummary;
  /** CPU time (user + system) of this process per measured frame, in ms. */
  cpuMsPerFrame: number;
}

/** Options for {@linkcode Meter}. */
export interface MeterOptions {
  /** Bytes of one frame, for MB/s. */
  frameBytes: number;
  /** Seconds of warm-up whose frames are not counted. Default: 1. */
  warmupSeconds?: number;
  /** A clock in milliseconds. Default: `performance.now`. */
  now?: () => number;
  /** CPU time of this process in microseconds. Default: `process.cpuUsage()` user + system. */
  cpuMicros?: () => number;
}

/**
 * Returns the `q`-quantile (0..1) of ascending `sorted` by nearest rank, or 0
 * for an empty list.
 */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function processCpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * Counts frames and round-trip latencies. Call {@linkcode Meter.start} once,
 * then {@linkcode Meter.record} when each frame is done; frames that complete
 * before the warm-up ends are not counted, and the measured time starts when
 * the warm-up ends.
 *
 * @example
 * ```ts
 * import { Meter } from "./meter.ts";
 * const meter = new Meter({ frameBytes: 6220800, warmupSeconds: 0 });
 * meter.start();
 * meter.record(2.5);
 * meter.summary().latencyMs.p50; // 2.5
 * ```
 */
export class Meter {
  readonly #frameBytes: number;
  readonly #warmupMs: number;
  readonly #now: () => number;
  readonly #cpuMicros: () => number;
  #warmupEnd = NaN;
  #measureStart = NaN;
  #cpuStart = 0;
  #last = NaN;
  #cpuLast = 0;
  #latencies: number[] = [];
  /** Frames done during the warm-up. */
  warmupFrames = 0;

  constructor(options: MeterOptions) {
    this.#frameBytes = options.frameBytes;
    this.#warmupMs = (options.warmupSeconds ?? 1) * 1000;
    this.#now = options.now ?? (() => performance.now());
    this.#cpuMicros = options.cpuMicros ?? processCpuMicros;
  }

  /** Starts the warm-up clock. */
  start(): void {
    const now = this.#now();
    this.#warmupEnd = now + this.#warmupMs;
    if (this.#warmupMs <= 0) this.#beginMeasuring(now);
  }

  /** True once the warm-up is over. */
  get measuring(): boolean {
    return !Number.isNaN(this.#measureStart);
  }

  /** Measured frames so far. */
  get frames(): number {
    return this.#latencies.length;
  }

  /** Milliseconds measured so far (0 during the warm-up). */
  get elapsedMs(): number {
    return this.measuring ? this.#now() - this.#measureStart : 0;
  }

  /** Records one completed frame whose round trip took `latencyMs`. */
  record(latencyMs: number): void {
    const now = this.#now();
    if (!this.measuring) {
      this.warmupFrames++;
      if (now >= this.#warmupEnd) this.#beginMeasuring(now);
      return;
    }
    this.#latencies.push(latencyMs);
    this.#last = now;
    this.#cpuLast = this.#cpuMicros();
  }

  #beginMeasuring(now: number): void {
    this.#measureStart = now;
    this.#last = now;
    this.#cpuStart = this.#cpuLast = this.#cpuMicros();
  }

  /** What was measured up to the last recorded frame. */
  summary(): MeterSummary {
    const frames = this.#latencies.length;
    const seconds = frames > 0 ? (this.#last - this.#measureStart) / 1000 : 0;
    const sorted = Float64Array.from(this.#latencies).sort();
    const fps = seconds > 0 ? frames / seconds : 0;
    return {
      frames,
      seconds,
      fps,
      mbPerS: (fps * this.#frameBytes) / 1e6,
      latencyMs: {
        p50: percentile(sorted, 0.5),
        p90: percentile(sorted, 0.9),
        p99: percentile(sorted, 0.99),
        max: frames > 0 ? sorted[frames - 1] : 0,
      },
      cpuMsPerFrame: frames > 0 ? (this.#cpuLast - this.#cpuStart) / 1000 / frames : 0,
    };
  }
}
