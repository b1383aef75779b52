/**
 * A minimal binding of libzmq's C API through Deno FFI: contexts, REQ and ROUTER
 * sockets (XPUB and SUB for the stream mode), zero-copy messages, and a poll
 * that waits off the main thread.
 *
 * Why FFI and not the `zeromq` npm package's JavaScript API: under Deno 2.9.6
 * that napi binding hangs (an awaited `receive()` of a 6 MB reply never
 * resolves) and setting `receiveTimeout` crashed the process (see Deno's
 * issue "Deno panicked trying to run ZeroMQ
 * from NPM package"). The same npm package ships libzmq 4.3.5 statically linked
 * into its addon and exports its C symbols, so this module loads that file with
 * `Deno.dlopen` and calls libzmq directly: real ZeroMQ, no napi, nothing to
 * install besides the npm package. Set `FRAMEBENCH_LIBZMQ` to use another
 * libzmq (e.g. Debian's `libzmq.so.5`, or `libzmq.dll` on Windows, whose addon
 * does not export the symbols).
 *
 * Workarounds, and what each is for:
 * - Blocking waits (`zmq_poll`) run as `nonblocking: true` FFI calls on Deno's
 *   blocking thread pool, so the event loop stays free (Ctrl-C, timers) and a
 *   wait always ends after its timeout: nothing can block forever.
 * - Every receive and send on the main thread passes `ZMQ_DONTWAIT` and is
 *   made only after the poll said the socket is ready, so `zmq_errno()` is read
 *   on the thread that failed (errno is thread-local, so a failed call on the
 *   pool thread would leave no readable reason).
 * - A socket is only ever used by one thread at a time (the poll is awaited
 *   before the next call), as libzmq requires.
 *
 * @module
 */

/** libzmq constants used here (zmq.h, 4.3). */
export const ZMQ = {
  PAIR: 0,
  SUB: 2,
  REQ: 3,
  REP: 4,
  DEALER: 5,
  ROUTER: 6,
  XPUB: 9,
  DONTWAIT: 1,
  SNDMORE: 2,
  SNDBUF: 11,
  RCVBUF: 12,
  SUBSCRIBE: 6,
  RCVMORE: 13,
  LINGER: 17,
  MAXMSGSIZE: 22,
  SNDHWM: 23,
  RCVHWM: 24,
  XPUB_NODROP: 69,
  XPUB_VERBOSER: 78,
  POLLIN: 1,
  POLLOUT: 2,
  EVENT_CONNECTED: 0x0001,
  EVENT_CONNECT_RETRIED: 0x0004,
  EVENT_ACCEPTED: 0x0020,
  EVENT_DISCONNECTED: 0x0200,
} as const;

/** errno value of "resource temporarily unavailable" on Linux. */
const EAGAIN = 11;

const symbols = {
  zmq_version: { parameters: ["buffer", "buffer", "buffer"], result: "void" },
  zmq_errno: { parameters: [], result: "i32" },
  zmq_strerror: { parameters: ["i32"], result: "pointer" },
  zmq_ctx_new: { parameters: [], result: "pointer" },
  zmq_ctx_term: { parameters: ["pointer"], result: "i32" },
  zmq_socket: { parameters: ["pointer", "i32"], result: "pointer" },
  zmq_close: { parameters: ["pointer"], result: "i32" },
  zmq_setsockopt: { parameters: ["pointer", "i32", "buffer", "usize"], result: "i32" },
  zmq_getsockopt: { parameters: ["pointer", "i32", "buffer", "buffer"], result: "i32" },
  zmq_bind: { parameters: ["pointer", "buffer"], result: "i32" },
  zmq_connect: { parameters: ["pointer", "buffer"], result: "i32" },
  zmq_socket_monitor: { parameters: ["pointer", "buffer", "i32"], result: "i32" },
  zmq_msg_init: { parameters: ["buffer"], result: "i32" },
  zmq_msg_init_size: { parameters: ["buffer", "usize"], result: "i32" },
  zmq_msg_init_data: {
    parameters: ["buffer", "pointer", "usize", "pointer", "pointer"],
    result: "i32",
  },
  zmq_msg_send: { parameters: ["buffer", "pointer", "i32"], result: "i32" },
  zmq_msg_recv: { parameters: ["buffer", "pointer", "i32"], result: "i32" },
  zmq_msg_close: { parameters: ["buffer"], result: "i32" },
  zmq_msg_data: { parameters: ["buffer"], result: "pointer" },
  zmq_msg_size: { parameters: ["buffer"], result: "usize" },
  zmq_poll: { parameters: ["buffer", "i32", "i64"], result: "i32", nonblocking: true },
} as const satisfies Deno.ForeignLibraryInterface;

type Lib = Deno.DynamicLibrary<typeof symbols>["symbols"];
let lib: Lib | undefined;

/**
 * The paths to try for libzmq, best first: `FRAMEBENCH_LIBZMQ`, or the addons
 * inside the installed `zeromq` npm package.
 */
export function libzmqCandidates(): string[] {
  const override = Deno.env.get("FRAMEBENCH_LIBZMQ");
  if (override) return [override];
  const pkg = new URL(import.meta.resolve("zeromq/package.json")).pathname;
  const root = pkg.slice(0, -"package.json".length);
  // zeromq's prebuilds sit in build/<os>/<arch>/node/<libc>-<abi>-Release/addon.node.
  // They hold the same libzmq but link against different glibc versions, so
  // each is tried in turn (newest first) until one loads.
  const os = Deno.build.os === "windows" ? "win32" : Deno.build.os;
  const arch = Deno.build.arch === "x86_64" ? "x64" : "arm64";
  const dir = `${root}build/${os}/${arch}/node`;
  const abi = (name: string) => Number(name.split("-")[1]) || 0;
  return [...Deno.readDirSync(dir)].map((e) => e.name)
    .filter((name) => !name.startsWith("musl"))
    .sort((a, b) => abi(b) - abi(a))
    .map((name) => `${dir}/${name}/addon.node`);
}

function zmq(): Lib {
  if (lib) return lib;
  const failures: string[] = [];
  for (const path of libzmqCandidates()) {
    try {
      lib = Deno.dlopen(path, symbols).symbols;
      return lib;
    } catch (error) {
      failures.push(`${path}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(
    `cannot load libzmq (set FRAMEBENCH_LIBZMQ to a libzmq.so): ${failures.join("; ")}`,
  );
}

/** The error of the last failed libzmq call on this thread. */
export class ZmqError extends Error {
  /** The errno value. */
  readonly errno: number;
  constructor(what: string, errno: number) {
    const text = Deno.UnsafePointerView.getCString(zmq().zmq_strerror(errno)!);
    super(`${what}: ${text}`);
    this.name = "ZmqError";
    this.errno = errno;
  }
}

function check(rc: number, what: string): number {
  if (rc < 0) throw new ZmqError(what, zmq().zmq_errno());
  return rc;
}

const encoder = new TextEncoder();
function cString(text: string): Uint8Array {
  return encoder.encode(text + "\0");
}

/** The libzmq version, e.g. `4.3.5`. */
export function libzmqVersion(): string {
  const v = new Int32Array(3);
  zmq().zmq_version(v.subarray(0, 1), v.subarray(1, 2), v.subarray(2, 3));
  return v.join(".");
}

/** Bytes of `zmq_msg_t` (64 in libzmq 4.x). */
const MSG_BYTES = 64;

/**
 * One ZeroMQ message part. Its {@linkcode Message.bytes} view points into
 * memory that libzmq owns: no copy, valid until {@linkcode Message.close}.
 */
export class Message {
  /** The `zmq_msg_t` itself. */
  readonly handle: Uint8Array<ArrayBuffer> = new Uint8Array(MSG_BYTES);
  #open = false;

  /** Initializes an empty message, ready to receive into. */
  static empty(): Message {
    const m = new Message();
    check(zmq().zmq_msg_init(m.handle), "zmq_msg_init");
    m.#open = true;
    return m;
  }

  /** A message holding a copy of `bytes`: for small messages whose source does not live on. */
  static copyOf(bytes: Uint8Array): Message {
    const m = new Message();
    check(zmq().zmq_msg_init_size(m.handle, BigInt(bytes.byteLength)), "zmq_msg_init_size");
    m.#open = true;
    m.bytes.set(bytes);
    return m;
  }

  /**
   * Wraps `bytes` without copying them. libzmq reads them while it sends, so
   * they must not change until the send has completed (for a request and its reply: until the
   * reply has arrived) and must outlive the message.
   */
  static wrap(bytes: Uint8Array): Message {
    const m = new Message();
    const ptr = bytes.byteLength === 0 ? null : Deno.UnsafePointer.of(bytes);
    check(
      zmq().zmq_msg_init_data(m.handle, ptr, BigInt(bytes.byteLength), null, null),
      "zmq_msg_init_data",
    );
    m.#open = true;
    return m;
  }

  /** The message's bytes, viewed in place. */
  get bytes(): Uint8Array {
    const size = Number(zmq().zmq_msg_size(this.handle));
    const ptr = zmq().zmq_msg_data(this.handle);
    if (size === 0 || ptr === null) return new Uint8Array(0);
    return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(ptr, size));
  }

  /** Releases the message (after a successful send libzmq owns it and this is a no-op). */
  close(): void {
    if (this.#open) zmq().zmq_msg_close(this.handle);
    this.#open = false;
  }

  /** Marks the message as handed over to libzmq by a send. */
  sent(): void {
    this.#open = false;
  }
}

/** A ZeroMQ context: owns the I/O thread. */
export class Context {
  readonly #ptr: Deno.PointerValue;
  constructor() {
    this.#ptr = zmq().zmq_ctx_new();
    if (this.#ptr === null) throw new ZmqError("zmq_ctx_new", zmq().zmq_errno());
  }

  /** A new socket of `type` (e.g. {@linkcode ZMQ.REP}), linger 0. */
  socket(type: number): Socket {
    const ptr = zmq().zmq_socket(this.#ptr, type);
    if (ptr === null) throw new ZmqError("zmq_socket", zmq().zmq_errno());
    const socket = new Socket(ptr);
    socket.setOption(ZMQ.LINGER, 0);
    return socket;
  }

  /** Terminates the context; close every socket first. */
  term(): void {
    zmq().zmq_ctx_term(this.#ptr);
  }
}

/** A ZeroMQ socket. Use it from one async flow at a time. */
export class Socket {
  readonly #ptr: Deno.PointerValue;
  // zmq_pollitem_t: { void *socket; int fd; short events; short revents; } on
  // Linux x86_64 (16 bytes); Windows has a 64-bit SOCKET for fd (24 bytes).
  readonly #pollItem = new Uint8Array(Deno.build.os === "windows" ? 24 : 16);
  readonly #pollView = new DataView(this.#pollItem.buffer);
  #closed = false;

  constructor(ptr: Deno.PointerValue) {
    this.#ptr = ptr;
    this.#pollView.setBigUint64(0, BigInt(Deno.UnsafePointer.value(ptr)), true);
  }

  /** Sets an integer socket option. */
  setOption(option: number, value: number): void {
    const v = new Int32Array([value]);
    check(zmq().zmq_setsockopt(this.#ptr, option, v, 4n), `zmq_setsockopt(${option})`);
  }

  /** Sets a socket option whose value is bytes (e.g. {@linkcode ZMQ.SUBSCRIBE}'s topic). */
  setOptionBytes(option: number, value: Uint8Array<ArrayBuffer>): void {
    check(
      zmq().zmq_setsockopt(this.#ptr, option, value, BigInt(value.byteLength)),
      `zmq_setsockopt(${option})`,
    );
  }

  /** Sets a 64-bit integer socket option (e.g. {@linkcode ZMQ.MAXMSGSIZE}). */
  setOption64(option: number, value: number): void {
    const v = new BigInt64Array([BigInt(value)]);
    check(zmq().zmq_setsockopt(this.#ptr, option, v, 8n), `zmq_setsockopt(${option})`);
  }

  /** Reads an integer socket option. */
  getOption(option: number): number {
    const v = new Int32Array(1);
    const len = new BigUint64Array([4n]);
    check(zmq().zmq_getsockopt(this.#ptr, option, v, len), `zmq_getsockopt(${option})`);
    return v[0];
  }

  /** Binds to `endpoint` (`ipc://path`, `tcp://host:port`). */
  bind(endpoint: string): void {
    check(zmq().zmq_bind(this.#ptr, cString(endpoint)), `cannot bind ${endpoint}`);
  }

  /** Connects to `endpoint`; the connection itself is made in the background. */
  connect(endpoint: string): void {
    check(zmq().zmq_connect(this.#ptr, cString(endpoint)), `cannot connect to ${endpoint}`);
  }

  /**
   * Publishes this socket's `events` (e.g. {@linkcode ZMQ.EVENT_ACCEPTED}) on
   * the inproc endpoint `endpoint`, for a PAIR socket of the same context.
   */
  monitor(endpoint: string, events: number): void {
    check(zmq().zmq_socket_monitor(this.#ptr, cString(endpoint), events), "zmq_socket_monitor");
  }

  /**
   * Waits up to `timeoutMs` until a message can be received (`events` =
   * {@linkcode ZMQ.POLLIN}) or sent ({@linkcode ZMQ.POLLOUT}), off the main
   * thread. Resolves true when ready, false on timeout.
   */
  async wait(timeoutMs: number, events: number = ZMQ.POLLIN): Promise<boolean> {
    const revents = this.#pollItem.byteLength - 2;
    this.#pollView.setInt16(revents - 2, events, true);
    this.#pollView.setInt16(revents, 0, true);
    const rc = await zmq().zmq_poll(this.#pollItem, 1, BigInt(Math.round(timeoutMs)));
    // rc < 0 is EINTR: a signal (Ctrl-C) landed on the pool thread while it
    // waited, before the JavaScript side saw it. Its errno is on that thread,
    // so it cannot be read here; report "not ready" and let the caller, which
    // checks for shutdown between waits, decide.
    return rc > 0 && (this.#pollView.getInt16(revents, true) & events) !== 0;
  }

  /**
   * Receives every part of one message without waiting; returns undefined if
   * none is queued. Each part is viewed in place (no copy): close the parts
   * when done with them.
   */
  receiveParts(): Message[] | undefined {
    const parts: Message[] = [];
    for (;;) {
      const part = Message.empty();
      const rc = zmq().zmq_msg_recv(part.handle, this.#ptr, ZMQ.DONTWAIT);
      if (rc < 0) {
        const errno = zmq().zmq_errno();
        part.close();
        if (errno === EAGAIN && parts.length === 0) return undefined;
        for (const p of parts) p.close();
        throw new ZmqError("zmq_msg_recv", errno);
      }
      parts.push(part);
      if (this.getOption(ZMQ.RCVMORE) === 0) return parts;
    }
  }

  /**
   * Sends `parts` as one message without waiting. Each part is handed to
   * libzmq (no copy); returns false when the send would block, closing them,
   * or, with `onBlock` `keep`, leaving them open for another try.
   */
  sendParts(parts: Message[], onBlock: "close" | "keep" = "close"): boolean {
    for (let i = 0; i < parts.length; i++) {
      const flags = ZMQ.DONTWAIT | (i < parts.length - 1 ? ZMQ.SNDMORE : 0);
      const rc = zmq().zmq_msg_send(parts[i].handle, this.#ptr, flags);
      if (rc < 0) {
        const errno = zmq().zmq_errno();
        if (errno === EAGAIN && i === 0 && onBlock === "keep") return false;
        for (const p of parts.slice(i)) p.close();
        if (errno === EAGAIN && i === 0) return false;
        throw new ZmqError("zmq_msg_send", errno);
      }
      parts[i].sent();
    }
    return true;
  }

  /** Closes the socket (pending messages are dropped: linger 0). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    zmq().zmq_close(this.#ptr);
  }
}
