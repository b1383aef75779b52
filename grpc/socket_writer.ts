/**
 * Ordered writes to a socket from many callers: each {@linkcode SocketWriter.write}
 * queues a list of byte ranges that go out together and in order, and
 * resolves once they are written. Small ranges (frame headers, control
 * frames, gRPC message prefixes, DATA frames of a peer that takes only 16 KiB
 * frames) are copied into one coalescing buffer so that they cost one write
 * between them; a large range (a frame's pixels) is written as it is, with no
 * copy.
 *
 * @module
 */

/** What is read from or written to: a `Deno.Conn`, or anything with its `write`. */
export interface Writer {
  write(p: Uint8Array): Promise<number>;
}

/** Ranges below this size are copied into the coalescing buffer. */
const SMALL_BYTES = 32 * 1024;

interface Pending {
  parts: readonly Uint8Array[];
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Serializes writes to one socket. */
export class SocketWriter {
  readonly #conn: Writer;
  readonly #coalesce = new Uint8Array(256 * 1024);
  #used = 0;
  #queue: Pending[] = [];
  #busy = false;
  #failure?: Error;

  constructor(conn: Writer) {
    this.#conn = conn;
  }

  /** The error that broke the writer, once one did. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Queues `parts` (written in order, back to back) and resolves once they are written. */
  write(parts: readonly Uint8Array[]): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#queue.push({ parts, resolve, reject });
    if (!this.#busy) this.#run();
    return promise;
  }

  /** Fails every queued write and every later one with `error`. */
  fail(error: Error): void {
    this.#failure ??= error;
    for (const p of this.#queue.splice(0)) p.reject(this.#failure);
  }

  async #run(): Promise<void> {
    this.#busy = true;
    let batch: Pending[] = [];
    try {
      while (this.#queue.length > 0 && !this.#failure) {
        batch = this.#queue.splice(0);
        for (const { parts } of batch) {
          for (const part of parts) {
            if (part.length < SMALL_BYTES) {
              if (this.#used + part.length > this.#coalesce.length) await this.#flush();
              this.#coalesce.set(part, this.#used); // a small copy: one write for many frames
              this.#used += part.length;
            } else {
              await this.#flush();
              await this.#writeAll(part); // no copy
            }
          }
        }
        await this.#flush();
        for (const p of batch) p.resolve();
        batch = [];
      }
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      for (const p of batch) p.reject(this.#failure!);
    } finally {
      this.#busy = false;
      this.#used = 0;
    }
  }

  async #flush(): Promise<void> {
    if (this.#used === 0) return;
    const used = this.#used;
    this.#used = 0;
    await this.#writeAll(this.#coalesce.subarray(0, used));
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) at += await this.#conn.write(bytes.subarray(at));
  }
}
