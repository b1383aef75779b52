/**
 * The machine's physical limits, measured in C by `fbench` (from the steering
 * repository's `shared/limits/`), in the same sitting as the transports, so
 * that each transport can be shown as a fraction of what the machine allows.
 *
 * @module
 */

import { ROOT } from "./processes.ts";

/** One limit: an fbench test at one frame size. */
export interface Limit {
  /** The fbench test, e.g. `echo_unix`. */
  test: string;
  /** Frame bytes. */
  frameBytes: number;
  /** Median frames per second of fbench's repetitions. */
  fps: number;
  /** Slowest and fastest repetition. */
  minFps: number;
  maxFps: number;
}

/** What each limit test measures, for the report. */
export const LIMIT_TESTS: Readonly<Record<string, string>> = {
  memcpy: "memcpy of one frame (cache-resident)",
  echo_unix: "echo over a unix socket, 16 MiB socket buffers",
  echo_tcp: "echo over TCP loopback, 16 MiB socket buffers",
  shm_futex: "shared-memory ring of 4 slots, futex wake-ups, copy in + read + ack",
  shm_unix: "shared-memory ring of 4 slots, 16-byte unix-socket messages, copy in + read + ack",
};

/** Where fbench is found when `--limits` is not given: beside the project, in `../shared/limits/`. */
export function defaultFbench(): string | undefined {
  const path = new URL("../shared/limits/fbench", `file://${ROOT}`).pathname;
  try {
    Deno.statSync(path);
    return path;
  } catch {
    return undefined;
  }
}

/** Parses one line of fbench output (`test=echo_unix bytes=6220800 fps=1253.3 ... min_fps=... max_fps=...`). */
export function parseLimitLine(line: string): Limit {
  const fields = Object.fromEntries(
    line.trim().split(/\s+/).map((kv) => kv.split("=") as [string, string]),
  );
  const number = (key: string) => {
    const n = Number(fields[key]);
    if (!Number.isFinite(n)) throw new Error(`fbench printed no ${key}: "${line.trim()}"`);
    return n;
  };
  if (!fields.test) throw new Error(`not an fbench line: "${line.trim()}"`);
  return {
    test: fields.test,
    frameBytes: number("bytes"),
    fps: number("fps"),
    minFps: number("min_fps"),
    maxFps: number("max_fps"),
  };
}

/** Runs `fbench <test> <bytes> <seconds>` for every test and size; a test that fails is left out. */
export async function measureLimits(
  fbench: string,
  tests: readonly string[],
  frameBytes: readonly number[],
  secondsPerRep: number,
  progress: (line: string) => void = () => {},
): Promise<Limit[]> {
  const limits: Limit[] = [];
  for (const bytes of frameBytes) {
    for (const test of tests) {
      progress(`limit: fbench ${test} ${bytes}`);
      try {
        const out = await new Deno.Command(fbench, {
          args: [test, String(bytes), String(secondsPerRep)],
          stdin: "null",
          stderr: "piped",
        }).output();
        const text = new TextDecoder().decode(out.stdout);
        if (!out.success) {
          throw new Error(new TextDecoder().decode(out.stderr).trim() || `exit ${out.code}`);
        }
        limits.push(parseLimitLine(text.trim().split("\n").pop() ?? ""));
      } catch (error) {
        progress(
          `limit: fbench ${test} ${bytes} failed: ${(error as Error).message.split("\n")[0]}`,
        );
      }
    }
  }
  return limits;
}

/**
 * Merges limits measured more than once in a sitting (before and after the
 * transports): per test and size, the higher fps is the limit, so that a
 * moment when the machine was slow does not flatter the transports; min and
 * max span every measurement.
 */
export function mergeLimits(...sets: Limit[][]): Limit[] {
  const merged = new Map<string, Limit>();
  for (const limit of sets.flat()) {
    const key = `${limit.test} ${limit.frameBytes}`;
    const seen = merged.get(key);
    merged.set(
      key,
      seen
        ? {
          ...seen,
          fps: Math.max(seen.fps, limit.fps),
          minFps: Math.min(seen.minFps, limit.minFps),
          maxFps: Math.max(seen.maxFps, limit.maxFps),
        }
        : { ...limit },
    );
  }
  return [...merged.values()];
}
