/**
 * The Windows platform layer: named file mappings backed by the paging file
 * (`CreateFileMappingW`, `MapViewOfFile`) through `Deno.dlopen` of kernel32.
 *
 * Type-checked by `deno check` on Linux but never run: no Windows machine was
 * available, and Deno for Windows does not start under Wine. Differences from
 * Linux, by design of Windows:
 * - A mapping's name lives as long as a handle to it is open, so there are no
 *   stale segments after a crash and {@linkcode SharedMemoryPlatform.unlink}
 *   has nothing to do.
 * - `WaitOnAddress` works within one process only, so a wait polls the word
 *   every millisecond on a thread of Deno's blocking pool (a named event per
 *   word would be the faster design).
 * - The exclusive lock is a named mutex; Windows marks it abandoned, and
 *   hands it on, when its holder dies.
 *
 * @module
 */

import type { MappedSegment, SharedMemoryPlatform } from "./platform.ts";

const PAGE_READWRITE = 0x04;
const FILE_MAP_ALL_ACCESS = 0xf001f;
const ERROR_ALREADY_EXISTS = 183;
const ERROR_FILE_NOT_FOUND = 2;
const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
const STILL_ACTIVE = 259;
const WAIT_OBJECT_0 = 0;
const WAIT_ABANDONED = 0x80;
/** Bytes of MEMORY_BASIC_INFORMATION on 64-bit Windows; RegionSize is at offset 24. */
const MBI_BYTES = 48;

const symbols = {
  CreateFileMappingW: {
    parameters: ["pointer", "pointer", "u32", "u32", "u32", "buffer"],
    result: "pointer",
  },
  OpenFileMappingW: { parameters: ["u32", "i32", "buffer"], result: "pointer" },
  MapViewOfFile: { parameters: ["pointer", "u32", "u32", "u32", "usize"], result: "pointer" },
  UnmapViewOfFile: { parameters: ["pointer"], result: "i32" },
  VirtualQuery: { parameters: ["pointer", "buffer", "usize"], result: "usize" },
  CloseHandle: { parameters: ["pointer"], result: "i32" },
  GetLastError: { parameters: [], result: "u32" },
  OpenProcess: { parameters: ["u32", "i32", "u32"], result: "pointer" },
  GetExitCodeProcess: { parameters: ["pointer", "buffer"], result: "i32" },
  CreateMutexW: { parameters: ["pointer", "i32", "buffer"], result: "pointer" },
  WaitForSingleObject: { parameters: ["pointer", "u32"], result: "u32" },
  ReleaseMutex: { parameters: ["pointer"], result: "i32" },
  Sleep: { parameters: ["u32"], result: "void", nonblocking: true },
} as const satisfies Deno.ForeignLibraryInterface;

type Kernel32 = Deno.DynamicLibrary<typeof symbols>["symbols"];

/** A name as a NUL-terminated UTF-16 string, in the session's namespace. */
function wideName(name: string): Uint16Array<ArrayBuffer> {
  const text = `Local\\${name}\0`;
  const out = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Loads kernel32 and returns the Windows platform layer. */
export function win32Platform(): SharedMemoryPlatform {
  const k32: Kernel32 = Deno.dlopen("kernel32.dll", symbols).symbols;

  function map(name: string, handle: Deno.PointerObject, bytes: number): MappedSegment {
    const view = k32.MapViewOfFile(handle, FILE_MAP_ALL_ACCESS, 0, 0, BigInt(bytes));
    if (view === null) {
      const code = k32.GetLastError();
      k32.CloseHandle(handle);
      throw new Error(`MapViewOfFile ${name} failed (error ${code})`);
    }
    let size = bytes;
    if (size === 0) {
      const info = new Uint8Array(MBI_BYTES);
      k32.VirtualQuery(view, info, BigInt(MBI_BYTES));
      size = Number(new DataView(info.buffer).getBigUint64(24, true));
    }
    return new WindowsSegment(k32, name, handle, view, size);
  }

  return {
    create(name, bytes) {
      const size = BigInt(bytes);
      const handle = k32.CreateFileMappingW(
        Deno.UnsafePointer.create(-1n), // INVALID_HANDLE_VALUE: backed by the paging file
        null,
        PAGE_READWRITE,
        Number(size >> 32n),
        Number(size & 0xffffffffn),
        wideName(name),
      );
      const code = k32.GetLastError();
      if (handle === null) throw new Error(`CreateFileMappingW ${name} failed (error ${code})`);
      if (code === ERROR_ALREADY_EXISTS) {
        k32.CloseHandle(handle);
        return undefined;
      }
      return map(name, handle, bytes);
    },
    open(name) {
      const handle = k32.OpenFileMappingW(FILE_MAP_ALL_ACCESS, 0, wideName(name));
      if (handle === null) {
        const code = k32.GetLastError();
        if (code === ERROR_FILE_NOT_FOUND) return undefined;
        throw new Error(`OpenFileMappingW ${name} failed (error ${code})`);
      }
      return map(name, handle, 0);
    },
    unlink() {
      return false;
    },
    list() {
      return [];
    },
    processAlive(pid) {
      const handle = k32.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
      if (handle === null) return false;
      const code = new Uint32Array(1);
      const ok = k32.GetExitCodeProcess(handle, code);
      k32.CloseHandle(handle);
      return ok !== 0 && code[0] === STILL_ACTIVE;
    },
    describe(name) {
      return `Local\\${name}`;
    },
  };
}

class WindowsSegment implements MappedSegment {
  readonly name: string;
  readonly bytes: number;
  readonly buffer: ArrayBuffer;
  readonly #k32: Kernel32;
  readonly #handle: Deno.PointerObject;
  readonly #view: Deno.PointerObject;
  readonly #words: DataView;
  #mutex: Deno.PointerValue = null;
  #closed = false;

  constructor(
    k32: Kernel32,
    name: string,
    handle: Deno.PointerObject,
    view: Deno.PointerObject,
    bytes: number,
  ) {
    this.#k32 = k32;
    this.name = name;
    this.#handle = handle;
    this.#view = view;
    this.bytes = bytes;
    this.buffer = Deno.UnsafePointerView.getArrayBuffer(view, bytes);
    this.#words = new DataView(this.buffer);
  }

  async wait(offset: number, expected: number, timeoutMs: number): Promise<void> {
    const end = performance.now() + timeoutMs;
    while (!this.#closed && this.#words.getUint32(offset, true) === expected >>> 0) {
      if (performance.now() >= end) return;
      await this.#k32.Sleep(1);
    }
  }

  wake(): void {
    // Waiters poll the word; nothing to signal.
  }

  tryLock(): boolean {
    if (this.#mutex === null) {
      this.#mutex = this.#k32.CreateMutexW(null, 0, wideName(`${this.name}.lock`));
      if (this.#mutex === null) {
        throw new Error(`CreateMutexW failed (error ${this.#k32.GetLastError()})`);
      }
    }
    const rc = this.#k32.WaitForSingleObject(this.#mutex, 0);
    return rc === WAIT_OBJECT_0 || rc === WAIT_ABANDONED;
  }

  unlock(): void {
    if (this.#mutex !== null) this.#k32.ReleaseMutex(this.#mutex);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#mutex !== null) this.#k32.CloseHandle(this.#mutex);
    this.#k32.UnmapViewOfFile(this.#view);
    this.#k32.CloseHandle(this.#handle);
  }
}
