/**
 * Buffered reading from a socket, with a way around the buffer: small reads
 * (frame headers, control frames) come from a staging buffer, while a large
 * payload is read by {@linkcode SocketReader.readInto} straight into where it
 * belongs (a gRPC message's buffer), so that a frame's pixels are not copied
 * on the way in except for the few KiB that a header read happened to bring
 * along.
 *
 * @module
 */

/** What is read from or written to: a `Deno.Conn`, or anything with its `read`. */
export interface Reader {
  read(p: Uint8Array): Promise<number | null>;
}

/** The peer closed the connection. */
export class EndOfStream extends Error {
  constructor() {
    super("the connection was closed by the peer");
    this.name = "EndOfStream";
  }
}

/** Reads a byte stream: buffered for small reads, direct for large ones. */
export class SocketReader {
  readonly #conn: Reader;
  readonly #buf: Uint8Array;
  #start = 0;
  #end = 0;

  /** Reads from `conn` with a staging buffer of `bufferBytes` (default 64 KiB). */
  constructor(conn: Reader, bufferBytes = 64 * 1024) {
    this.#conn = conn;
    this.#buf = new Uint8Array(bufferBytes);
  }

  /** Bytes in the staging buffer. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** The staging buffer's size: the most {@linkcode fill} can hold. */
  get capacity(): number {
    return this.#buf.length;
  }

  /** Waits until `n` bytes (at most the capacity) are buffered; throws {@linkcode EndOfStream}. */
  async fill(n: number): Promise<void> {
    if (this.#end - this.#start >= n) return;
    if (this.#start + n > this.#buf.length) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    while (this.#end - this.#start < n) {
      const got = await this.#conn.read(this.#buf.subarray(this.#end));
      if (got === null) throw new EndOfStream();
      this.#end += got;
    }
  }

  /** The next `n` buffered bytes (call {@linkcode fill} first), a view valid until the next read. */
  take(n: number): Uint8Array {
    const out = this.#buf.subarray(this.#start, this.#start + n);
    this.#start += n;
    return out;
  }

  /**
   * Reads up to `dst.length` bytes into `dst` and returns how many: the
   * buffered bytes first (copied: at most one staging buffer's worth), then,
   * once the buffer is empty, straight from the socket (no copy). Throws
   * {@linkcode EndOfStream}.
   */
  async readInto(dst: Uint8Array): Promise<number> {
    const buffered = this.#end - this.#start;
    if (buffered > 0) {
      const n = Math.min(buffered, dst.length);
      dst.set(this.#buf.subarray(this.#start, this.#start + n));
      this.#start += n;
      return n;
    }
    this.#start = this.#end = 0;
    const got = await this.#conn.read(dst);
    if (got === null) throw new EndOfStream();
    return got;
  }

  /** Reads and drops `n` bytes. */
  async skip(n: number): Promise<void> {
    while (n > 0) {
      if (this.#end === this.#start) {
        this.#start = this.#end = 0;
        await this.fill(1);
      }
      const k = Math.min(n, this.#end - this.#start);
      this.#start += k;
      n -= k;
    }
  }
}
