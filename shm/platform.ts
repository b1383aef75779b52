/**
 * The small platform layer under the shared-memory transport: named segments
 * mapped into the process, a wait/wake on a 32-bit word of a segment, an
 * exclusive lock that the system releases when its holder dies, and a check
 * whether a process still runs. Everything above it (layout, ring, doorway,
 * server, client) is the same on every platform.
 *
 * Linux: `libc.ts` (shm_open, mmap, futex). Windows: `win32.ts`
 * (CreateFileMapping, MapViewOfFile), type-checked here but never run.
 *
 * @module
 */

/** A named shared-memory segment mapped into this process. */
export interface MappedSegment {
  /** The segment's name, without the leading `/`. */
  readonly name: string;
  /** Bytes mapped. */
  readonly bytes: number;
  /** The mapping, viewed in place: no copy, valid until {@linkcode MappedSegment.close}. */
  readonly buffer: ArrayBuffer;
  /**
   * Waits, off the main thread, until the little-endian u32 at `offset` no
   * longer holds `expected`, a wake-up arrives, or `timeoutMs` passes; callers
   * re-read the word, since a wait may also end early.
   */
  wait(offset: number, expected: number, timeoutMs: number): Promise<void>;
  /** Wakes every waiter on the u32 at `offset` (in any process). */
  wake(offset: number): void;
  /**
   * Takes the segment's exclusive lock without waiting; false when another
   * process holds it. The system releases it when the holder exits or dies.
   */
  tryLock(): boolean;
  /** Releases the lock taken by {@linkcode MappedSegment.tryLock}. */
  unlock(): void;
  /** Unmaps the segment; its views must not be used afterwards. */
  close(): void;
}

/** What the transport needs from the operating system. */
export interface SharedMemoryPlatform {
  /**
   * Creates segment `name` of `bytes` (zero-filled, mode 0600) and maps it;
   * returns undefined when a segment of that name exists already.
   */
  create(name: string, bytes: number): MappedSegment | undefined;
  /** Maps the existing segment `name` whole; undefined when there is none. */
  open(name: string): MappedSegment | undefined;
  /** Removes the name (mappings stay valid); false when there was none. */
  unlink(name: string): boolean;
  /**
   * The names of the segments that start with `prefix`. Linux lists
   * `/dev/shm`; Windows returns none (a mapping's name goes with its last handle).
   */
  list(prefix: string): string[];
  /** Whether process `pid` still runs (or is a zombie: not reaped yet by its parent). */
  processAlive(pid: number): boolean;
  /** Where a segment's name shows up for a person, e.g. `/dev/shm/NAME`. */
  describe(name: string): string;
}

let loaded: SharedMemoryPlatform | undefined;

/** The platform layer of this operating system, loaded on first use. */
export async function sharedMemoryPlatform(): Promise<SharedMemoryPlatform> {
  if (loaded) return loaded;
  let platform: SharedMemoryPlatform;
  if (Deno.build.os === "windows") {
    const { win32Platform } = await import("./win32.ts");
    platform = win32Platform();
  } else if (Deno.build.os === "linux") {
    const { libcPlatform } = await import("./libc.ts");
    platform = libcPlatform();
  } else {
    throw new Error(`shared memory is implemented for Linux and Windows, not ${Deno.build.os}`);
  }
  return loaded = platform;
}
