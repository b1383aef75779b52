/**
 * The machine's limits, measured in C by the project's limits program
 * (`limits/limits.c`) in the same sitting as the transports, so that each
 * transport can be shown as a fraction of what the machine allows.
 *
 * @module
 */

import { buildLimits, type BuildOptions } from "../limits/build.ts";
import { type Limit, LIMIT_TESTS, parseLimitLine } from "../limits/output.ts";
import { runLimits } from "../limits/run.ts";

export { type Limit, LIMIT_TESTS, parseLimitLine };

/**
 * Tests shown in the limits table beside a test that judges a cell, for
 * context: the bare hand-off of the ring beside the ring doing a verified
 * echo's work.
 */
export const LIMIT_CONTEXT: Readonly<Record<string, readonly string[]>> = {
  shm_futex_verify: ["shm_futex"],
};

/** The tests to measure for cells judged against `judged`: each, then its context, once. */
export function limitTests(judged: readonly (string | undefined)[]): string[] {
  const tests = judged.flatMap((t) => (t ? [t, ...(LIMIT_CONTEXT[t] ?? [])] : []));
  return [...new Set(tests)];
}

/**
 * The limits program to use when none is given: the project's own, built on
 * first use (see limits/build.ts). Without a C compiler, or when the build
 * fails, says so in one line and returns undefined: the bench then runs
 * without limits.
 */
export async function defaultLimitsProgram(
  progress: (line: string) => void,
  options: BuildOptions = {},
): Promise<string | undefined> {
  try {
    return (await buildLimits({ progress, ...options })).path;
  } catch (error) {
    const message = (error as Error).message.split("\n")[0];
    progress(`limits: ${message}; the report will have no "vs C limit" column`);
    return undefined;
  }
}

/**
 * Runs `<program> <test> <bytes> <seconds>` for every test and size, with
 * `env` added to its environment (default: none); a test that fails is left
 * out.
 */
export async function measureLimits(
  program: string,
  tests: readonly string[],
  frameBytes: readonly number[],
  secondsPerRep: number,
  progress: (line: string) => void = () => {},
  env?: Record<string, string>,
): Promise<Limit[]> {
  const limits: Limit[] = [];
  for (const bytes of frameBytes) {
    for (const test of tests) {
      progress(`limit: ${test} ${bytes}`);
      try {
        const out = await runLimits(program, [test, String(bytes), String(secondsPerRep)], { env });
        if (out.code !== 0) throw new Error(out.stderr.trim() || `exit code ${out.code}`);
        limits.push(parseLimitLine(out.stdout.trim().split("\n").pop() ?? ""));
      } catch (error) {
        progress(`limit: ${test} ${bytes} failed: ${(error as Error).message.split("\n")[0]}`);
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
