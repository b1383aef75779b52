/**
 * What the gRPC server counts as refused (the `refused` of its stopped line),
 * each with one line on stderr: every call it ends with an error status,
 * also a call of a method it does not have, which grpc-js answers before any
 * interceptor runs.
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
 * Counts the calls grpc-js answers UNIMPLEMENTED (a method the server does
 * not have) before any interceptor runs.
 *
 * grpc-js has no hook for them, so this listens to the `stream` event of each
 * of the server's HTTP/2 listeners (a private field of grpc-js 1.14, as
 * `widenServerWindow` in ./channel_options.ts uses) and checks the path of
 * each gRPC request against `paths`, the methods registered. (A request that
 * is not gRPC, by its content-type, is left alone: grpc-js answers it with
 * HTTP 415, no call.) Call it after `bindAsync`. Returns false, changing
 * nothing, when that field is not there (another grpc-js version): such calls
 * then go uncounted.
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
    if (type.startsWith("application/grpc") && !known.has(path)) {
      stats.refuse(`UNIMPLEMENTED: no method ${JSON.stringify(path.slice(0, 100))}`);
    }
  };
  for (const http2Server of listeners.keys()) http2Server.on("stream", listener);
  return true;
}
