/**
 * A publisher's steady clock: frame k is due at `start + k / fps`, so that a
 * late timer delays one frame, not every frame after it (no drift from
 * sleeps). A publisher more than a whole period late skips the frames it
 * missed, as a camera does, and counts them.
 *
 * @module
 */

import { EventLoopTurns } from "./event_loop.ts";

/** Frames per second, or `max`: as fast as the transport takes them. */
export type TargetFps = number | "max";

/** Options for {@linkcode Pacer}. */
export interface PacerOptions {
  /** A clock in milliseconds. Default: `performance.now`. */
  now?: () => number;
  /** Waits `ms` milliseconds. Default: `setTimeout`. */
  sleep?: (ms: number) => Promise<void>;
}

/** Paces frames at a target rate on a steady clock. */
export class Pacer {
  /** The target rate. */
  readonly fps: TargetFps;
  /** Frame slots missed because the publisher was more than a period late. */
  skipped = 0;
  readonly #period: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #turns = new EventLoopTurns();
  #due = NaN;

  constructor(fps: TargetFps, options: PacerOptions = {}) {
    if (fps !== "max" && !(fps > 0)) throw new RangeError(`fps must be > 0 or "max", got ${fps}`);
    this.fps = fps;
    this.#period = fps === "max" ? 0 : 1000 / fps;
    this.#now = options.now ?? (() => performance.now());
    this.#sleep = options.sleep ??
      ((ms) => new Promise((resolve) => setTimeout(resolve, Math.ceil(ms))));
  }

  /**
   * Resolves when the next frame is due (at once for the first frame and at
   * `max`, after a turn of the event loop when one is due, so that Ctrl-C is
   * handled).
   */
  async next(): Promise<void> {
    if (this.fps === "max") return await this.#turns.maybeYield();
    let now = this.#now();
    if (Number.isNaN(this.#due)) {
      this.#due = now + this.#period;
      return;
    }
    const late = now - this.#due;
    if (late >= this.#period) {
      const missed = Math.floor(late / this.#period);
      this.skipped += missed;
      this.#due += missed * this.#period;
    }
    while (now < this.#due) {
      await this.#sleep(this.#due - now);
      now = this.#now();
    }
    this.#due += this.#period;
  }
}
