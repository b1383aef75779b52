/**
 * The Linux platform layer: POSIX shared memory (`shm_open`, `ftruncate`,
 * `mmap`), a futex on a word of the segment, and `flock` on the segment's file
 * descriptor, all through the C library's one binding (common/libc.ts).
 *
 * Futex waits run as `nonblocking: true` FFI calls, i.e. on a thread of Deno's
 * blocking pool, so the event loop stays free while a process sleeps; every
 * wait has a timeout, so none can outlive its caller by more than that. The
 * futex is not "private" (no FUTEX_PRIVATE_FLAG): the word is shared between
 * processes through the mapping.
 *
 * @module
 */

import { errno, errnoText, type Libc, libc as loadLibc, SYS_FUTEX } from "../common/libc.ts";
import type { MappedSegment, SharedMemoryPlatform } from "./platform.ts";

const O_RDWR = 0o2;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 0x01;
/** Fault the pages in at mmap time, so that the first frames are not slowed by page faults. */
const MAP_POPULATE = 0x8000;
const SEEK_END = 2;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const EEXIST = 17;
const ENOENT = 2;
const EINTR = 4;
const EPERM = 1;
const EWOULDBLOCK = 11;
/** Offset of `d_name` in glibc's 64-bit `struct dirent` (ino u64, off i64, reclen u16, type u8). */
const DIRENT_NAME_OFFSET = 19;

/** The error of a failed C library call, with errno and its text. */
export class SystemError extends Error {
  /** The errno value. */
  readonly errno: number;
  constructor(what: string, errno: number, text: string) {
    super(`${what}: ${text}`);
    this.name = "SystemError";
    this.errno = errno;
  }
}

const encoder = new TextEncoder();

/** `/name` as a C string: POSIX shared-memory names start with a slash. */
function shmName(name: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`/${name}\0`);
}

/** Loads the C library and returns the Linux platform layer. */
export function libcPlatform(): SharedMemoryPlatform {
  const libc: Libc = loadLibc();
  const fail = (what: string): SystemError => {
    const e = errno();
    return new SystemError(what, e, errnoText(e));
  };

  function map(name: string, fd: number, bytes: number): MappedSegment {
    const ptr = libc.mmap(
      null,
      BigInt(bytes),
      PROT_READ | PROT_WRITE,
      MAP_SHARED | MAP_POPULATE,
      fd,
      0n,
    );
    if (ptr === null || BigInt(Deno.UnsafePointer.value(ptr)) === (1n << 64n) - 1n) {
      const error = fail(`mmap /${name}`);
      libc.close(fd);
      throw error;
    }
    return new LinuxSegment(libc, name, fd, ptr, bytes);
  }

  return {
    create(name, bytes) {
      const fd = libc.shm_open(shmName(name), O_RDWR | O_CREAT | O_EXCL, 0o600);
      if (fd < 0) {
        if (errno() === EEXIST) return undefined;
        throw fail(`shm_open /${name}`);
      }
      if (libc.ftruncate(fd, BigInt(bytes)) !== 0) {
        const error = fail(`ftruncate /${name} to ${bytes} bytes`);
        libc.close(fd);
        libc.shm_unlink(shmName(name));
        throw error;
      }
      // Reserve the memory now: on a small /dev/shm (Docker's default is 64 MB)
      // this fails here with a clear error instead of a SIGBUS at the first frame.
      const reserved = libc.posix_fallocate(fd, 0n, BigInt(bytes));
      if (reserved !== 0) {
        libc.close(fd);
        libc.shm_unlink(shmName(name));
        const text = Deno.UnsafePointerView.getCString(libc.strerror(reserved)!);
        throw new Error(
          `cannot reserve ${bytes} bytes of shared memory for /dev/shm/${name} (${text}): use fewer --slots, a smaller --size, or a larger /dev/shm`,
        );
      }
      try {
        return map(name, fd, bytes);
      } catch (error) {
        libc.shm_unlink(shmName(name));
        throw error;
      }
    },
    open(name) {
      const fd = libc.shm_open(shmName(name), O_RDWR, 0);
      if (fd < 0) {
        if (errno() === ENOENT) return undefined;
        throw fail(`shm_open /${name}`);
      }
      const size = Number(libc.lseek(fd, 0n, SEEK_END));
      if (size <= 0) {
        libc.close(fd);
        throw new Error(`/dev/shm/${name} is empty: not a framebench segment`);
      }
      return map(name, fd, size);
    },
    unlink(name) {
      if (libc.shm_unlink(shmName(name)) === 0) return true;
      if (errno() === ENOENT) return false;
      throw fail(`shm_unlink /${name}`);
    },
    list(prefix) {
      // /dev/shm through the C library: Deno.readDir of /dev needs --allow-all.
      const dir = libc.opendir(encoder.encode("/dev/shm\0"));
      if (dir === null) return [];
      const names: string[] = [];
      try {
        for (let entry = libc.readdir(dir); entry !== null; entry = libc.readdir(dir)) {
          const name = Deno.UnsafePointerView.getCString(entry, DIRENT_NAME_OFFSET);
          if (name.startsWith(prefix)) names.push(name);
        }
      } finally {
        libc.closedir(dir);
      }
      return names;
    },
    processAlive(pid) {
      // A killed process not yet reaped by its parent still counts as alive
      // here (reading /proc needs more permissions than the scripts have):
      // a ring's liveness is therefore judged by its lock (see ring.ts).
      return libc.kill(pid, 0) === 0 || errno() === EPERM;
    },
    describe(name) {
      return `/dev/shm/${name}`;
    },
  };
}

class LinuxSegment implements MappedSegment {
  readonly name: string;
  readonly bytes: number;
  readonly buffer: ArrayBuffer;
  readonly #libc: Libc;
  readonly #fd: number;
  readonly #ptr: Deno.PointerObject;
  #closed = false;

  constructor(libc: Libc, name: string, fd: number, ptr: Deno.PointerObject, bytes: number) {
    this.#libc = libc;
    this.name = name;
    this.#fd = fd;
    this.#ptr = ptr;
    this.bytes = bytes;
    // A view of the mapping itself: no copy.
    this.buffer = Deno.UnsafePointerView.getArrayBuffer(ptr, bytes);
  }

  #word(offset: number): Deno.PointerObject {
    if (this.#closed) throw new Error(`/${this.name} is closed`);
    return Deno.UnsafePointer.offset(this.#ptr, offset)!;
  }

  async wait(offset: number, expected: number, timeoutMs: number): Promise<void> {
    const ms = Math.max(0, Math.round(timeoutMs));
    // Each wait has its own timespec: several may be pending at once.
    const timeout = new BigInt64Array([BigInt(Math.floor(ms / 1000)), BigInt((ms % 1000) * 1e6)]);
    // The result is not needed: 0 (woken), EAGAIN (the word had changed),
    // ETIMEDOUT or EINTR all mean "re-read the word".
    await this.#libc.futex_wait(
      SYS_FUTEX,
      this.#word(offset),
      FUTEX_WAIT,
      expected >>> 0,
      timeout,
      null,
      0,
    );
  }

  wake(offset: number): void {
    this.#libc.futex_wake(SYS_FUTEX, this.#word(offset), FUTEX_WAKE, 0x7fffffff, null, null, 0);
  }

  tryLock(): boolean {
    for (;;) {
      if (this.#libc.flock(this.#fd, LOCK_EX | LOCK_NB) === 0) return true;
      const e = new Deno.UnsafePointerView(this.#libc.__errno_location()!).getInt32();
      if (e === EWOULDBLOCK) return false;
      if (e !== EINTR) throw new Error(`flock /${this.name} failed (errno ${e})`);
    }
  }

  unlock(): void {
    if (!this.#closed) this.#libc.flock(this.#fd, LOCK_UN);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#libc.munmap(this.#ptr, BigInt(this.bytes));
    this.#libc.close(this.#fd);
  }
}
