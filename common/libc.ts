/**
 * The C library through Deno FFI, bound once for the whole process: the
 * shared-memory calls and futexes of shm/, `setsockopt` for ZeroMQ's ipc
 * sockets, `mallopt` for frame-sized allocations (common/allocator.ts),
 * `clock_gettime` for the clock that a stream's processes share. Linux (glibc) only;
 * loading needs `--allow-ffi`.
 *
 * @module
 */

const symbols = {
  shm_open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  shm_unlink: { parameters: ["buffer"], result: "i32" },
  ftruncate: { parameters: ["i32", "i64"], result: "i32" },
  posix_fallocate: { parameters: ["i32", "i64", "i64"], result: "i32" },
  lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  flock: { parameters: ["i32", "i32"], result: "i32" },
  kill: { parameters: ["i32", "i32"], result: "i32" },
  opendir: { parameters: ["buffer"], result: "pointer" },
  readdir: { parameters: ["pointer"], result: "pointer" },
  closedir: { parameters: ["pointer"], result: "i32" },
  strerror: { parameters: ["i32"], result: "pointer" },
  __errno_location: { parameters: [], result: "pointer" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  mallopt: { parameters: ["i32", "i32"], result: "i32" },
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
  // syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3). syscall() is
  // variadic; with integer and pointer arguments only, the x86-64 and aarch64
  // calling conventions pass them exactly as for a fixed signature. A wait
  // runs on a thread of Deno's blocking pool (nonblocking), so the event loop
  // stays free while the process sleeps.
  futex_wait: {
    name: "syscall",
    parameters: ["i64", "pointer", "i32", "u32", "buffer", "pointer", "u32"],
    result: "i64",
    nonblocking: true,
  },
  futex_wake: {
    name: "syscall",
    parameters: ["i64", "pointer", "i32", "i32", "pointer", "pointer", "u32"],
    result: "i64",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The bound functions of the C library. */
export type Libc = Deno.DynamicLibrary<typeof symbols>["symbols"];

/** SYS_futex: 202 on x86-64, 98 on aarch64. */
export const SYS_FUTEX = Deno.build.arch === "aarch64" ? 98n : 202n;

let bound: Libc | undefined;

/** The C library, loaded on first use; throws when FFI or glibc is not there. */
export function libc(): Libc {
  return bound ??= Deno.dlopen("libc.so.6", symbols).symbols;
}

/** The calling thread's errno: read it right after a call made on the main thread. */
export function errno(): number {
  return new Deno.UnsafePointerView(libc().__errno_location()!).getInt32();
}

/** The C library's text for errno `e`. */
export function errnoText(e: number): string {
  return Deno.UnsafePointerView.getCString(libc().strerror(e)!);
}
