/**
 * Large kernel socket buffers for ZeroMQ's `ipc://` connections.
 *
 * libzmq applies `ZMQ_SNDBUF` / `ZMQ_RCVBUF` to TCP connections only; an ipc
 * connection keeps the kernel's default buffer (net.core.wmem_default, 208 KiB
 * on Debian), so a 6 MB frame crosses in some 30 chunks each way, each one a
 * wake-up of the other side. This watches a socket's new connections through
 * libzmq's own monitor (`zmq_socket_monitor`: the CONNECTED and ACCEPTED events
 * carry the connection's file descriptor) and sets SO_SNDBUF / SO_RCVBUF on each
 * with libc's `setsockopt`, as libzmq does for TCP. The kernel caps the size at
 * net.core.wmem_max / rmem_max. Linux only: elsewhere it sets nothing.
 *
 * Since a socket has one monitor, it also reports the other events asked of
 * it (the stream subscriber watches for its publisher's disconnection).
 *
 * @module
 */

import { libc } from "../common/libc.ts";
import { type Context, type Socket, ZMQ } from "./libzmq.ts";

const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;

let monitors = 0;

/** Sets the socket buffers of every ipc connection a socket makes or accepts. */
export class IpcBuffers {
  /** The file descriptors of the connections whose buffers were set so far. */
  readonly fds: number[] = [];
  readonly #events: Socket;
  readonly #size = new Uint8Array(4);

  /**
   * Starts watching `socket` (of `context`); `bytes` is the buffer size asked
   * of the kernel; `events` (e.g. {@linkcode ZMQ.EVENT_DISCONNECTED}), default
   * none, are other events for {@linkcode IpcBuffers.update} to report.
   */
  constructor(context: Context, socket: Socket, bytes: number, events = 0) {
    new DataView(this.#size.buffer).setInt32(0, bytes, true);
    const endpoint = `inproc://framebench-monitor-${Deno.pid}-${monitors++}`;
    socket.monitor(endpoint, ZMQ.EVENT_CONNECTED | ZMQ.EVENT_ACCEPTED | events);
    this.#events = context.socket(ZMQ.PAIR);
    this.#events.connect(endpoint);
  }

  /**
   * Applies the buffer size to connections made since the last call, and
   * returns the events seen since then, in order. Cheap (no waiting): call it
   * once per message.
   */
  update(): number[] {
    const seen: number[] = [];
    for (let parts = this.#events.receiveParts(); parts; parts = this.#events.receiveParts()) {
      // An event is two parts: u16 event id and u32 value (for a connection: its fd), then the endpoint.
      const head = parts[0].bytes;
      const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
      const event = view.getUint16(0, true);
      const fd = view.getUint32(2, true);
      for (const part of parts) part.close();
      seen.push(event);
      if (event !== ZMQ.EVENT_CONNECTED && event !== ZMQ.EVENT_ACCEPTED) continue;
      if (Deno.build.os !== "linux") continue;
      const { setsockopt } = libc();
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, this.#size, 4);
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, this.#size, 4);
      this.fds.push(fd);
    }
    return seen;
  }

  /** Stops watching. */
  close(): void {
    this.#events.close();
  }
}
