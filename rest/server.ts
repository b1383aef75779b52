#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-ffi --allow-env
/**
 * The REST echo server on `Deno.serve` (HTTP/1.1, keep-alive), one route per
 * variant of the original study. Each takes a frame, checks it against the
 * size it states, and sends the frame back:
 *
 * | route                 | request                                          | reply               |
 * |-----------------------|--------------------------------------------------|---------------------|
 * | `POST /frames/raw`    | `application/octet-stream` frame, size in `x-frame-width`, `x-frame-height`, `x-frame-format`, `x-frame-index` | the same bytes |
 * | `POST /uploads`       | `multipart/form-data`: fields width, height, format, index and file `frame` | `201` `{"id", "location"}` |
 * | `GET /uploads/ID`     | (the download back; each upload downloads once)  | the frame bytes     |
 * | `POST /frames/base64` | JSON `{width, height, format, index, data}`; `?encoder=native\|js` | the same, re-encoded |
 * | `POST /frames/hex`    | as base64, in hex                                | the same, re-encoded |
 * | `POST /frames/jpeg`   | as base64, `data` a base64 JPEG, and `quality`   | the decoded frame encoded again at `quality` |
 *
 * A bad request gets a 4xx and one JSON line `{"error": "..."}`, and the
 * server goes on. No body is read past `--max-bytes`.
 *
 *     deno task rest:server [--host 127.0.0.1] [--port 8080] [--unix PATH] [--max-bytes N]
 *
 * Copies of a frame in the server, per request (raw): the body is read from
 * the runtime's socket buffers into a reused buffer (one copy), and
 * `new Response(bytes)` takes a copy of it, as the Fetch standard requires
 * of a byte body (a second copy), which the runtime writes to the socket.
 *
 * @module
 */

import { removeOnExit } from "../common/cleanup.ts";
import { runMain, shutdownSignal } from "../common/cli.ts";
import {
  type CommandSpec,
  numberFlag,
  parseServerFlags,
  SERVER_FLAGS,
  usage,
} from "../common/flags.ts";
import { ServerStats } from "../common/server.ts";
import { listenPrivately, unixSocketInUse } from "../common/unix_socket.ts";
import { ALLOCATOR_FLAG, tuneAllocator } from "./allocator.ts";
import { type Endpoint, ENDPOINT_FLAGS, endpointUrl, parseEndpoint } from "./endpoint.ts";
import { errorResponse, HttpError } from "./http_error.ts";
import { RestRoutes } from "./routes.ts";

/** The largest request body by default: a 4K rgb24 frame as hex JSON, and 1 MiB to spare. */
export const DEFAULT_MAX_BYTES = 3840 * 2160 * 3 * 2 + 1024 * 1024;

const COMMAND: CommandSpec = {
  name: "rest:server",
  summary: "Echoes frames over HTTP (REST) until Ctrl-C: raw, multipart, base64, hex and JPEG.",
  flags: {
    ...ENDPOINT_FLAGS,
    "max-bytes": {
      type: "string",
      default: String(DEFAULT_MAX_BYTES),
      description: "largest request body accepted; a larger one gets 413",
    },
    ...ALLOCATOR_FLAG,
  },
};

/** Options for {@linkcode serveRest}. */
export interface RestServerOptions {
  /** Where to listen. Default: TCP 127.0.0.1:8080. */
  endpoint?: Endpoint;
  /** Largest request body accepted, in bytes. Default: {@linkcode DEFAULT_MAX_BYTES}. */
  maxBytes?: number;
  /** Stops the server when aborted. */
  signal: AbortSignal;
}

/**
 * Serves until `signal` aborts, then closes the listener and its
 * connections, removes a unix socket file, prints the stopped line and returns
 * what it served. Throws, before serving, when the endpoint is in use.
 */
export async function serveRest(options: RestServerOptions): Promise<ServerStats> {
  const endpoint = options.endpoint ?? { kind: "tcp", host: "127.0.0.1", port: 8080 };
  const stats = new ServerStats("rest");
  const routes = new RestRoutes(stats, options.maxBytes ?? DEFAULT_MAX_BYTES);
  if (endpoint.kind === "unix" && await unixSocketInUse(endpoint.path)) {
    throw new Error(`${endpointUrl(endpoint)} is in use by another server`);
  }
  if (endpoint.kind === "unix") await Deno.remove(endpoint.path).catch(() => {}); // a stale file
  const serveOptions = {
    signal: options.signal,
    onListen: () => {},
    onError: (error: unknown) =>
      errorResponse(new HttpError(500, `server error: ${(error as Error)?.message ?? error}`)),
  };
  const handler = (request: Request) => routes.handle(request);
  let server: Deno.HttpServer | undefined;
  let removeSocketFile: (() => void) | undefined;
  try {
    let url: string;
    if (endpoint.kind === "unix") {
      // Deno.serve listens before it returns.
      await listenPrivately(endpoint.path, (at) => {
        server = Deno.serve({ ...serveOptions, path: at }, handler);
      });
      removeSocketFile = removeOnExit(endpoint.path);
      url = endpointUrl(endpoint);
    } else {
      try {
        server = Deno.serve(
          { ...serveOptions, hostname: endpoint.host, port: endpoint.port },
          handler,
        );
      } catch (error) {
        if (error instanceof Deno.errors.AddrInUse) {
          throw new Error(
            `${endpointUrl(endpoint)} is in use by another process (pick another --port)`,
          );
        }
        throw error;
      }
      url = endpointUrl({ ...endpoint, port: (server.addr as Deno.NetAddr).port });
    }
    stats.ready(url);
    await server!.finished;
  } finally {
    // A failure after listening (the socket file could not be moved into place).
    if (server && !options.signal.aborted) await server.shutdown();
    removeSocketFile?.();
  }
  stats.stopped();
  return stats;
}

if (import.meta.main) {
  runMain(COMMAND.name, async (args) => {
    const { help, flags } = parseServerFlags(args, COMMAND);
    if (help) return console.log(usage(COMMAND, SERVER_FLAGS));
    const endpoint = parseEndpoint(flags, args);
    const maxBytes = numberFlag("max-bytes", flags["max-bytes"], { integer: true });
    if (flags["default-malloc"] !== true) tuneAllocator();
    await serveRest({ endpoint, maxBytes, signal: shutdownSignal() });
  });
}
