/**
 * Tuning the C allocator (glibc malloc) of this process for frame-sized
 * buffers.
 *
 * The runtime allocates a new frame-sized buffer at several places per round
 * trip that JavaScript cannot reach (the copy `fetch` and `new Response` take
 * of a byte body, the HTTP stack's read buffers). With glibc's defaults a
 * freed 6 MB block is handed back to the kernel (trimmed at the top of the
 * heap, or unmapped), so the next one is new memory whose pages the kernel
 * faults in and zeroes: measured with `perf` on the raw variant at 1080p, page
 * faults were about 30 % of the server's CPU time. Raising glibc's trim
 * threshold and top pad (and the mmap threshold to its 32 MiB ceiling) keeps
 * those blocks in the heap for reuse. Measured: raw round trips +25-50 %,
 * server CPU per frame -15-30 %. The cost is that freed memory stays with
 * the process, up to 256 MiB per glibc arena: a server that serves every
 * variant at 1080p levels off near 600 MB (about 400 MB untuned; see
 * rest/README.md).
 *
 * The same as starting the process with `MALLOC_TRIM_THRESHOLD_=268435456
 * MALLOC_TOP_PAD_=67108864 MALLOC_MMAP_THRESHOLD_=33554432`, done through
 * `mallopt` (FFI) because a deno.json task cannot set the environment.
 *
 * @module
 */

import { libc } from "./libc.ts";

import type { FlagSpecs } from "./flags.ts";

/** The `--default-malloc` flag of the server and the client. */
export const ALLOCATOR_FLAG: FlagSpecs = {
  "default-malloc": {
    type: "boolean",
    description: "keep glibc's malloc settings (by default tuned for frames: common/allocator.ts)",
  },
};

const M_TRIM_THRESHOLD = -1;
const M_TOP_PAD = -2;
const M_MMAP_THRESHOLD = -3;

/** The settings applied by {@linkcode tuneAllocator}, as `mallopt` names them. */
export const ALLOCATOR_SETTINGS: Readonly<Record<string, number>> = {
  M_TRIM_THRESHOLD: 256 * 1024 * 1024,
  M_TOP_PAD: 64 * 1024 * 1024,
  M_MMAP_THRESHOLD: 32 * 1024 * 1024,
};

/**
 * Applies {@linkcode ALLOCATOR_SETTINGS} with glibc's `mallopt`. Returns what
 * was done, for the record: `"glibc tuned"`, or why not (not Linux, no glibc,
 * no FFI permission). Never throws.
 */
export function tuneAllocator(): string {
  if (Deno.build.os !== "linux") return "default (not Linux)";
  let mallopt;
  try {
    mallopt = libc().mallopt;
  } catch (error) {
    return `default (${(error as Error).message.split("\n")[0]})`;
  }
  const ok = mallopt(M_TRIM_THRESHOLD, ALLOCATOR_SETTINGS.M_TRIM_THRESHOLD) === 1 &&
    mallopt(M_TOP_PAD, ALLOCATOR_SETTINGS.M_TOP_PAD) === 1 &&
    mallopt(M_MMAP_THRESHOLD, ALLOCATOR_SETTINGS.M_MMAP_THRESHOLD) === 1;
  return ok ? "glibc tuned" : "default (mallopt refused a setting)";
}
