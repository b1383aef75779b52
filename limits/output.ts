/**
 * What the limits program (limits.c) prints: one line per test, and what
 * each test measures.
 *
 * @module
 */

/** One limit: a test of the limits program at one frame size. */
export interface Limit {
  /** The test, e.g. `echo_unix`. */
  test: string;
  /** Frame bytes. */
  frameBytes: number;
  /** Median frames per second of the program's repetitions. */
  fps: number;
  /** Slowest and fastest repetition. */
  minFps: number;
  maxFps: number;
}

/** What each test of the limits program measures, for the report (see limits/README.md). */
export const LIMIT_TESTS: Readonly<Record<string, string>> = {
  memcpy: "memcpy of one frame (cache-resident)",
  memcpy_pool: "memcpy of one frame, rotating through a pool of frames larger than the cache",
  readsum: "reading every byte of one frame (cache-resident)",
  readsum_pool: "reading every byte of one frame, rotating through a pool larger than the cache",
  echo_unix: "echo over a unix socket, 16 MiB socket buffers",
  echo_tcp: "echo over TCP loopback, 16 MiB socket buffers, TCP_NODELAY",
  stream_unix: "one-way stream of frames over a unix socket, 16 MiB socket buffers",
  stream_tcp: "one-way stream of frames over TCP loopback, 16 MiB socket buffers, TCP_NODELAY",
  shm_futex:
    "shared-memory ring of 4 slots, futex wake-ups: copy in, read, ack (the bare hand-off)",
  shm_unix:
    "shared-memory ring of 4 slots, 16-byte unix-socket messages: copy in, read, ack (the bare hand-off)",
  shm_futex_verify:
    "shared-memory ring of 4 slots, futex wake-ups, doing a verified echo's work: 8 distinct frames copied in, read and checked by both sides",
  shm_unix_verify:
    "shared-memory ring of 4 slots, unix-socket messages, doing a verified echo's work: 8 distinct frames copied in, read and checked by both sides",
};

/** Parses the line of a limits test (`test=echo_unix bytes=6220800 fps=1253.3 min_fps=... max_fps=... ...`). */
export function parseLimitLine(line: string): Limit {
  const fields = Object.fromEntries(
    line.trim().split(/\s+/).map((kv) => kv.split("=") as [string, string]),
  );
  const number = (key: string) => {
    const n = Number(fields[key]);
    if (!Number.isFinite(n)) {
      throw new Error(`the limits program printed no ${key}: "${line.trim()}"`);
    }
    return n;
  };
  if (!fields.test) throw new Error(`not a line of the limits program: "${line.trim()}"`);
  return {
    test: fields.test,
    frameBytes: number("bytes"),
    fps: number("fps"),
    minFps: number("min_fps"),
    maxFps: number("max_fps"),
  };
}
