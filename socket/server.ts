#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env
/**
 * The socket echo server: plain stream sockets (`Deno.listen`, unix or TCP),
 * each frame read whole and written straight back (socket/wire.ts). The least
 * a Deno program does to move a frame to another process and back: what the
 * runtime's own sockets reach, to read ZeroMQ, REST and gRPC against.
 *
 *     deno task socket:server [--endpoint unix:///tmp/framebench-socket.sock]
 *
 * Copies of a frame: the kernel copies the request into the connection's
 * buffer (one `read` per chunk the socket has), and the reply out of that same
 * buffer; nothing is copied in JavaScript.
 *
 * @module
 */

import { errorLine } from "../common/cli.ts";
import { type Endpoint, parseEndpoint } from "../common/endpoint.ts";
import { maxBytesFlag, numberFlag } from "../common/flags.ts";
import { ServerStats } from "../common/server.ts";
import { type ServerCommand, serverMain } from "../common/server_main.ts";
import { listenStream } from "../common/listen.ts";
import {
  decodeHead,
  encodeRefusal,
  HEAD_BYTES,
  pixelBytes,
  readFull,
  type StreamConn,
  writeFull,
} from "./wire.ts";

/** Where the server listens by default. */
export const DEFAULT_ENDPOINT = "unix:///tmp/framebench-socket.sock";

/** The largest frame the server takes by default: one 3840x2160 rgb24 frame. */
export const DEFAULT_MAX_BYTES = 3840 * 2160 * 3;

/** Options for {@linkcode serveSocket}. */
export interface SocketServerOptions {
  /** Where to listen: a `unix` or `tcp` endpoint. Default: {@linkcode DEFAULT_ENDPOINT}. */
  endpoint?: Endpoint;
  /** Most pixel bytes in a frame; a larger one is refused. Default: one 4K rgb24 frame. */
  maxBytes?: number;
  /** Stops the server when aborted. */
  signal: AbortSignal;
}

/** Most bytes read and dropped after a refusal, and for how long, before the connection is closed. */
const DRAIN_BYTES = 64 * 1024 * 1024;
const DRAIN_MS = 1000;

/**
 * Ends a connection after a refusal so that the client reads the refusal: no
 * more writes, then what the client still sends is read and dropped until it
 * closes its side (at most {@linkcode DRAIN_BYTES} or {@linkcode DRAIN_MS}).
 * Closing a socket with unread bytes in it would reset the connection, and
 * the client could lose the refusal.
 */
async function closeAfterRefusal(conn: StreamConn): Promise<void> {
  const scratch = new Uint8Array(64 * 1024);
  const deadline = setTimeout(() => conn.close(), DRAIN_MS);
  try {
    await conn.closeWrite();
    for (let dropped = 0; dropped < DRAIN_BYTES;) {
      const n = await conn.read(scratch);
      if (n === null) break;
      dropped += n;
    }
  } catch { /* closed by the deadline, or reset: done either way */ }
  clearTimeout(deadline);
}

/**
 * Echoes the frames of one connection until the client closes it. A message
 * that is not a frame, or too large, gets a refusal and the connection is
 * closed (its next message would start at an unknown place).
 */
async function echoConnection(
  conn: StreamConn,
  maxBytes: number,
  stats: ServerStats,
  signal: AbortSignal,
) {
  // One buffer per connection, head and pixels side by side, so that the
  // reply is one write of the bytes as they came in. It grows to the largest
  // frame the client sends.
  let message = new Uint8Array(HEAD_BYTES);
  const refuse = async (why: string) => {
    stats.refuse(why);
    await writeFull(conn, encodeRefusal(why)).catch(() => {});
    await closeAfterRefusal(conn);
  };
  try {
    for (;;) {
      if (!await readFull(conn, message.subarray(0, HEAD_BYTES))) return; // closed between frames
      let bytes: number;
      try {
        const head = decodeHead(message.subarray(0, HEAD_BYTES));
        if (head.kind !== "frame") return await refuse("a refusal is not a request");
        bytes = pixelBytes(head.properties);
      } catch (error) {
        return await refuse(errorLine(error));
      }
      if (bytes > maxBytes) {
        return await refuse(
          `a frame of ${bytes} pixel bytes, over the server's --max-bytes ${maxBytes}`,
        );
      }
      if (message.byteLength < HEAD_BYTES + bytes) {
        const grown = new Uint8Array(HEAD_BYTES + bytes);
        grown.set(message.subarray(0, HEAD_BYTES)); // the head only: 32 bytes
        message = grown;
      }
      const frame = message.subarray(0, HEAD_BYTES + bytes);
      await readFull(conn, frame.subarray(HEAD_BYTES));
      // The echo: the bytes go back from where they were read.
      await writeFull(conn, frame);
      stats.frames++;
    }
  } catch (error) {
    // A client that died mid-frame, or reset the connection: its message is
    // cut short; the others are served. (Or the server is stopping.)
    if (!signal.aborted) stats.refuse(`a client left: ${errorLine(error)}`);
  } finally {
    try {
      conn.close();
    } catch { /* closed already */ }
  }
}

/**
 * Serves until `signal` aborts, then closes the listener and every
 * connection, removes a unix socket file, prints the stopped line and returns
 * what it served. Throws, before serving, when the endpoint is in use.
 */
export async function serveSocket(options: SocketServerOptions): Promise<ServerStats> {
  const endpoint = options.endpoint ?? parseEndpoint(DEFAULT_ENDPOINT, ["unix"]);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const stats = new ServerStats("socket");
  const listening = await listenStream(endpoint);
  const { listener } = listening;
  const connections = new Set<Deno.Conn>();
  const served: Promise<void>[] = [];
  const stop = () => listening.close();
  options.signal.addEventListener("abort", stop, { once: true });
  try {
    stats.ready(listening.url);
    if (options.signal.aborted) stop();
    for await (const conn of listener) {
      if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
      connections.add(conn);
      served.push(
        echoConnection(conn, maxBytes, stats, options.signal).finally(() =>
          connections.delete(conn)
        ),
      );
    }
  } catch (error) {
    if (!options.signal.aborted) throw error;
  } finally {
    options.signal.removeEventListener("abort", stop);
    for (const conn of connections) {
      try {
        conn.close();
      } catch { /* closed already */ }
    }
    await Promise.allSettled(served);
    listening.close();
  }
  stats.stopped();
  return stats;
}

const COMMAND: ServerCommand = {
  name: "socket:server",
  summary: "Echoes frames over plain stream sockets (unix or TCP) until Ctrl-C.",
  endpoint: { default: DEFAULT_ENDPOINT, kinds: ["unix", "tcp"] },
  flags: maxBytesFlag(DEFAULT_MAX_BYTES, "most pixel bytes in a frame; a larger one is refused"),
  async serve({ endpoint, flags, signal }) {
    const maxBytes = numberFlag("max-bytes", flags["max-bytes"], { integer: true });
    await serveSocket({ endpoint, maxBytes, signal });
  },
};

if (import.meta.main) serverMain(COMMAND);
