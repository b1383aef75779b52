#!/usr/bin/env -S deno run --allow-ffi --allow-read --allow-write --allow-env --allow-net
/**
 * The ZeroMQ echo server: sends every frame straight back to the REQ client
 * that sent it. A request is two parts, the frame properties (see
 * ../common/properties.ts) and the pixels; a malformed request, or one with
 * more than `--max-bytes` pixel bytes, gets a one-part reply
 * `{"error": "..."}` and the server goes on. The protocol, for peers in other
 * languages: zmq/README.md.
 *
 * The socket is a ROUTER, which is what a REP socket is built on, with the
 * envelope (the client's routing id and an empty delimiter) handled here. A REP
 * socket wedges for good when a peer that is not ZeroMQ sends bytes that
 * libzmq takes for a ZMTP 1.0 message without a delimiter (random bytes do):
 * it keeps waiting for the rest of that envelope and serves nobody else (found
 * by bench/faults_test.ts). With a ROUTER, such a message is one more message
 * to refuse.
 *
 *     deno task zmq:server [--endpoint ipc:///tmp/framebench-zmq.sock] [--max-bytes N]
 *
 * @module
 */

import { removeOnExit } from "../common/cleanup.ts";
import { type Endpoint, parseEndpoint } from "../common/endpoint.ts";
import { maxBytesFlag, numberFlag } from "../common/flags.ts";
import { BYTES_PER_PIXEL } from "../common/frame.ts";
import { decodeProperties } from "../common/properties.ts";
import { ServerStats } from "../common/server.ts";
import { type ServerCommand, serverMain } from "../common/server_main.ts";
import { listenPrivately, unixSocketInUse } from "../common/unix_socket.ts";
import { IpcBuffers } from "./ipc_buffers.ts";
import { Context, Message, type Socket, ZMQ } from "./libzmq.ts";

/** The largest frame the server takes by default: one 3840x2160 rgb24 frame. */
export const DEFAULT_MAX_BYTES = 3840 * 2160 * 3;

/**
 * The largest message part libzmq takes for a server of `maxBytes`
 * (`ZMQ_MAXMSGSIZE`): four times `maxBytes`, and at least 64 KiB. A pixel
 * part over `maxBytes` and up to this gets the one-part error reply and is
 * counted; a larger part makes libzmq drop the connection as soon as it has
 * read the part's size, before buffering it, and nothing can answer the
 * client or count it (libzmq reports the drop as the same `DISCONNECTED`
 * event a client that leaves causes): see zmq/README.md.
 */
export function partLimit(maxBytes: number): number {
  return Math.min(Math.max(4 * maxBytes, 64 * 1024), Number.MAX_SAFE_INTEGER);
}

/** Socket buffer size asked of the kernel (it caps it at net.core.wmem_max). */
export const SOCKET_BUFFER_BYTES = 8 * 1024 * 1024;

/** Where the server binds by default. */
export const DEFAULT_ENDPOINT = "ipc:///tmp/framebench-zmq.sock";

/** Options for {@linkcode serveZmq}. */
export interface ZmqServerOptions {
  /** Where to bind: an `ipc` or `tcp` endpoint. Default: {@linkcode DEFAULT_ENDPOINT}. */
  endpoint?: Endpoint;
  /** Most pixel bytes in a frame. Default: {@linkcode DEFAULT_MAX_BYTES} (one 4K rgb24 frame). */
  maxBytes?: number;
  /** Stops the server when aborted. */
  signal: AbortSignal;
}

/**
 * Returns why a request is not a valid frame of at most `maxBytes` pixel
 * bytes, or undefined when it is.
 */
export function checkRequest(
  parts: Message[],
  maxBytes: number = DEFAULT_MAX_BYTES,
): string | undefined {
  if (parts.length !== 2) return `expected 2 parts (properties, pixels), got ${parts.length}`;
  const pixels = parts[1].bytes.byteLength;
  if (pixels > maxBytes) {
    return `pixels are ${pixels} bytes, over the server's --max-bytes of ${maxBytes}`;
  }
  let expected: number;
  try {
    const p = decodeProperties(parts[0].bytes);
    expected = p.width * p.height * BYTES_PER_PIXEL[p.format];
  } catch (error) {
    return (error as Error).message;
  }
  return pixels === expected
    ? undefined
    : `pixels are ${pixels} bytes, the properties say ${expected}`;
}

const encoder = new TextEncoder();

/**
 * Serves until `signal` aborts, then closes the socket, removes an
 * `ipc://` socket file, and returns what it served. Throws, before serving,
 * when the endpoint is in use.
 */
export async function serveZmq(options: ZmqServerOptions): Promise<ServerStats> {
  const endpoint = options.endpoint ?? parseEndpoint(DEFAULT_ENDPOINT, ["ipc"]);
  const ipcPath = endpoint.kind === "ipc" ? endpoint.path : undefined;
  if (ipcPath && await unixSocketInUse(ipcPath)) {
    throw new Error(`${endpoint.url} is in use by another server`);
  }
  const stats = new ServerStats("zmq");
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const context = new Context();
  let socket: Socket | undefined;
  let buffers: IpcBuffers | undefined;
  let removeSocketFile: (() => void) | undefined;
  try {
    socket = context.socket(ZMQ.ROUTER);
    socket.setOption(ZMQ.SNDBUF, SOCKET_BUFFER_BYTES);
    socket.setOption(ZMQ.RCVBUF, SOCKET_BUFFER_BYTES);
    // libzmq drops a peer whose message part is larger, before buffering it;
    // parts over maxBytes up to this are refused below, with a reply.
    socket.setOption64(ZMQ.MAXMSGSIZE, partLimit(maxBytes));
    // ZMQ_SNDBUF/RCVBUF above only reach tcp connections: see ipc_buffers.ts.
    if (ipcPath) buffers = new IpcBuffers(context, socket, SOCKET_BUFFER_BYTES);
    const router = socket;
    if (ipcPath) {
      await listenPrivately(ipcPath, (at) => router.bind(`ipc://${at}`));
      // libzmq 4.3.5 leaves the ipc socket file behind when the socket closes.
      removeSocketFile = removeOnExit(ipcPath);
    } else {
      router.bind(endpoint.url);
    }
    stats.ready(endpoint.url);
    while (!options.signal.aborted) {
      // Short waits so that Ctrl-C is seen within 200 ms.
      const ready = await socket.wait(200);
      buffers?.update();
      if (!ready) continue;
      const parts = socket.receiveParts();
      if (!parts) continue;
      // A REQ client's message comes as [routing id, empty delimiter, ...request].
      if (parts.length < 2 || parts[1].bytes.byteLength !== 0) {
        for (const part of parts) part.close();
        stats.refuse("not a REQ request (no envelope): dropped without a reply");
        continue;
      }
      const [id, delimiter, ...request] = parts;
      const problem = checkRequest(request, maxBytes);
      if (problem) {
        for (const part of request) part.close();
        stats.refuse(problem);
        const error = Message.copyOf(encoder.encode(JSON.stringify({ error: problem })));
        socket.sendParts([id, delimiter, error]);
        continue;
      }
      // The echo: the received parts go back as they are, no copy.
      if (socket.sendParts(parts)) stats.frames++;
      else stats.refuse("reply dropped: the client is not reading");
    }
  } finally {
    buffers?.close();
    socket?.close();
    context.term();
    removeSocketFile?.();
  }
  stats.stopped();
  return stats;
}

const COMMAND: ServerCommand = {
  name: "zmq:server",
  summary: "Echoes frames over ZeroMQ (REQ clients, ROUTER server) until Ctrl-C.",
  endpoint: { default: DEFAULT_ENDPOINT, kinds: ["ipc", "tcp"] },
  flags: maxBytesFlag(
    DEFAULT_MAX_BYTES,
    "most pixel bytes in a frame; more get an error reply (up to 4x: libzmq then drops the sender)",
  ),
  async serve({ endpoint, flags, signal }) {
    const maxBytes = numberFlag("max-bytes", flags["max-bytes"], { integer: true });
    await serveZmq({ endpoint, maxBytes, signal });
  },
};

if (import.meta.main) serverMain(COMMAND);
