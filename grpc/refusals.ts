/**
 * What the gRPC server counts as refused (the `refused` of its stopped line),
 * each with one line on stderr: every call it ends with an error status, and
 * every request it answers without running a handler.
 *
 * @module
 */

import * as grpc from "@grpc/grpc-js";
import type { ServerStats } from "../common/server.ts";

/**
 * A server interceptor that counts every call the server ends with an error
 * status as a refused message. It wraps the `sendStatus` of the call grpc-js
 * hands it, so that the statuses grpc-js sends by itself (RESOURCE_EXHAUSTED
 * for a message over the limit, INTERNAL for one that does not decode) are
 * counted too, not only the handlers' own.
 */
export function countRefusals(stats: ServerStats): grpc.ServerInterceptor {
  return (_method, call) => {
    const sendStatus = call.sendStatus.bind(call);
    call.sendStatus = (status) => {
      const code = status.code;
      if (
        code !== grpc.status.OK && code !== grpc.status.CANCELLED &&
        code !== grpc.status.DEADLINE_EXCEEDED
      ) {
        stats.refuse(`${grpc.status[code]}: ${status.details}`);
      }
      sendStatus(status);
    };
    return new grpc.ServerInterceptingCall(call);
  };
}

/** The part of a grpc-js `Server` that {@linkcode countUnknownCalls} reaches into. */
interface ServerInternals {
  http2Servers?: Map<{ on(event: "stream", f: StreamListener): void }, unknown>;
}

type StreamListener = (
  stream: unknown,
  headers: Record<string, string | string[] | undefined>,
) => void;

/**
 * Counts the requests grpc-js answers before any interceptor runs: a call of
 * a method the server does not have (UNIMPLEMENTED) and a request that is not
 * gRPC at all (HTTP 415, its content-type is not `application/grpc...`).
 *
 * grpc-js has no hook for them, so this listens to the `stream` event of each
 * of the server's HTTP/2 listeners (a private field of grpc-js 1.14, as
 * `widenServerWindow` in ./channel_options.ts uses) and checks the request's
 * path against `paths`, the methods registered. Call it after `bindAsync`.
 * Returns false, changing nothing, when that field is not there (another
 * grpc-js version): such requests then go uncounted.
 */
export function countUnknownCalls(
  server: unknown,
  paths: Iterable<string>,
  stats: ServerStats,
): boolean {
  const listeners = (server as ServerInternals).http2Servers;
  if (!(listeners instanceof Map)) return false;
  const known = new Set(paths);
  const listener: StreamListener = (_stream, headers) => {
    const path = String(headers[":path"] ?? "");
    const type = String(headers["content-type"] ?? "");
    if (!type.startsWith("application/grpc")) {
      stats.refuse(`not a gRPC request (content-type ${JSON.stringify(type.slice(0, 60))})`);
    } else if (!known.has(path)) {
      stats.refuse(`UNIMPLEMENTED: no method ${JSON.stringify(path.slice(0, 100))}`);
    }
  };
  for (const http2Server of listeners.keys()) http2Server.on("stream", listener);
  return true;
}
