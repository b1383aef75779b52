/**
 * The clock that every process of one machine shares, for one-way latency:
 * a stream's publisher writes each frame's publish time with it, and a
 * subscriber in another process subtracts that from its own reading.
 *
 * On Linux it is `CLOCK_MONOTONIC` (read through `clock_gettime`, about
 * 0.1 us a call here): Python's `time.monotonic()` and C's
 * `clock_gettime(CLOCK_MONOTONIC)` read the same clock, so a peer in another
 * language can publish or subscribe. It does not jump with the wall clock.
 * Elsewhere it is the wall clock (`performance.timeOrigin + performance.now()`),
 * whose error between two processes is that of the system clock when each
 * started, about a millisecond: {@linkcode SHARED_CLOCK} names which one.
 *
 * Clocks of two machines are not shared: one-way latency across machines is
 * not measured (the echo's round trip is).
 *
 * @module
 */

import { libc } from "./libc.ts";

/** CLOCK_MONOTONIC on Linux. */
const CLOCK_MONOTONIC = 1;

/** Which clock {@linkcode sharedClockMs} reads: `monotonic` (Linux) or `wall`. */
export const SHARED_CLOCK: "monotonic" | "wall" = Deno.build.os === "linux" ? "monotonic" : "wall";

const timespec = new BigInt64Array(2);

/**
 * Now, in milliseconds, on the clock that the processes of this machine
 * share (see the module's documentation). Needs `--allow-ffi` on Linux.
 */
export function sharedClockMs(): number {
  if (SHARED_CLOCK === "wall") return performance.timeOrigin + performance.now();
  libc().clock_gettime(CLOCK_MONOTONIC, timespec);
  return Number(timespec[0]) * 1e3 + Number(timespec[1]) / 1e6;
}
