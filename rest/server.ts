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
 *     deno task rest:server [--endpoint http://127.0.0.1:8080 | unix:///PATH] [--max-bytes N]
 *
 * Copies of a frame in the server, per request (raw): the body is read from
 * the runtime's socket buffers into a reused buffer (one copy), and
 * `new Response(bytes)` takes a copy of it, as the Fetch standard requires
 * of a byte body (a second copy), which the runtime writes to the socket.
 *
 * @module
 */

import { removeOnExit } from "../common/cleanup.ts";
import { type Endpoint, parseEndpoint } from "../common/endpoint.ts";
import { maxBytesFlag, numberFlag } from "../common/flags.ts";
import { ServerStats } from "../common/server.ts";
import { type ServerCommand, serverMain } from "../common/server_main.ts";
import { listenPrivately, unixSocketInUse } from "../common/unix_socket.ts";
import { ALLOCATOR_FLAG, tuneAllocator } from "../common/allocator.ts";
import { DEFAULT_ENDPOINT, REST_ENDPOINT, restUrl } from "./endpoint.ts";
import { errorResponse, HttpError } from "./http_error.ts";
import { RestRoutes } from "./routes.ts";

/** The largest request body by default: a 4K rgb24 frame as hex JSON, and 1 MiB to spare. */
export const DEFAULT_MAX_BYTES = 3840 * 2160 * 3 * 2 + 1024 * 1024;

/** Options for {@linkcode serveRest}. */
export interface RestServerOptions {
  /** Where to listen. Default: {@linkcode DEFAULT_ENDPOINT}, TCP 127.0.0.1:8080. */
  endpoint?: Endpoint;
  /** Largest request body accepted, in bytes. Default: {@linkcode DEFAULT_MAX_BYTES}. */
  maxBytes?: number;
  /**
   * Keeps glibc's malloc settings (`--default-malloc`). Default: false: this
   * process's allocator is tuned for frame-sized buffers (common/allocator.ts).
   */
  defaultMalloc?: boolean;
  /** Stops the server when aborted. */
  signal: AbortSignal;
}

/** Deno.serve on `endpoint`, listening when it returns; one line when the endpoint is in use. */
export async function listenHttp(
  endpoint: Endpoint,
  options: Deno.ServeOptions,
  handler: Deno.ServeHandler,
): Promise<{ server: Deno.HttpServer; url: string; removeSocketFile?: () => void }> {
  if (endpoint.kind === "unix") {
    if (await unixSocketInUse(endpoint.path)) {
      throw new Error(`${endpoint.url} is in use by another server`);
    }
    await Deno.remove(endpoint.path).catch(() => {}); // a file left by a server that was killed
    let started: Deno.HttpServer | undefined;
    try {
      const server = await listenPrivately(endpoint.path, (path) => {
        started = Deno.serve({ ...options, path }, handler);
        return started;
      });
      return { server, url: endpoint.url, removeSocketFile: removeOnExit(endpoint.path) };
    } catch (error) {
      await started?.shutdown(); // listening, but the socket file could not be moved into place
      throw error;
    }
  }
  if (endpoint.kind !== "tcp" && endpoint.kind !== "http") {
    throw new Error(`the REST server cannot listen on ${endpoint.url}`);
  }
  try {
    const server = Deno.serve(
      { ...options, hostname: endpoint.host, port: endpoint.port },
      handler,
    );
    return { server, url: restUrl(endpoint, (server.addr as Deno.NetAddr).port) };
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new Error(`${restUrl(endpoint)} is in use by another process (pick another port)`);
    }
    throw error;
  }
}

/**
 * Serves until `signal` aborts, then closes the listener and its
 * connections, removes a unix socket file, prints the stopped line and returns
 * what it served. Throws, before serving, when the endpoint is in use.
 */
export async function serveRest(options: RestServerOptions): Promise<ServerStats> {
  if (!options.defaultMalloc) tuneAllocator();
  const endpoint = options.endpoint ?? parseEndpoint(DEFAULT_ENDPOINT, REST_ENDPOINT.kinds);
  const stats = new ServerStats("rest");
  const routes = new RestRoutes(stats, options.maxBytes ?? DEFAULT_MAX_BYTES);
  const { server, url, removeSocketFile } = await listenHttp(endpoint, {
    signal: options.signal,
    onListen: () => {},
    onError: (error: unknown) =>
      errorResponse(new HttpError(500, `server error: ${(error as Error)?.message ?? error}`)),
  }, (request) => routes.handle(request));
  stats.ready(url);
  await server.finished.finally(() => removeSocketFile?.());
  stats.stopped();
  return stats;
}

const COMMAND: ServerCommand = {
  name: "rest:server",
  summary: "Echoes frames over HTTP (REST) until Ctrl-C: raw, multipart, base64, hex and JPEG.",
  endpoint: REST_ENDPOINT,
  flags: {
    ...maxBytesFlag(DEFAULT_MAX_BYTES, "largest request body accepted; a larger one gets 413"),
    ...ALLOCATOR_FLAG,
  },
  serve: ({ endpoint, flags, signal }) =>
    serveRest({
      endpoint,
      maxBytes: numberFlag("max-bytes", flags["max-bytes"], { integer: true }),
      defaultMalloc: flags["default-malloc"] === true,
      signal,
    }),
};

if (import.meta.main) serverMain(COMMAND);
