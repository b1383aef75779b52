/**
 * Where the gRPC server listens and the client connects, as the `--host`,
 * `--port` and `--unix` flags take it, shared by both sides so that their
 * defaults match.
 *
 * @module
 */

import { resolve } from "node:path";
import { type FlagSpecs, numberFlag, UsageError } from "../common/flags.ts";

/** The host the server binds and the client connects to by default. */
export const DEFAULT_HOST = "127.0.0.1";
/** The TCP port by default (gRPC's customary port). */
export const DEFAULT_PORT = 50051;

/** The endpoint flags, the same on both sides. */
export const ENDPOINT_FLAGS: FlagSpecs = {
  host: { type: "string", default: DEFAULT_HOST, description: "TCP host" },
  port: { type: "string", default: String(DEFAULT_PORT), description: "TCP port" },
  unix: { type: "string", description: "a unix socket path instead of TCP" },
};

/** A parsed endpoint. */
export interface Endpoint {
  /** As a URL for records and messages: `tcp://127.0.0.1:50051` or `unix:///tmp/x.sock`. */
  url: string;
  /** The target as grpc-js takes it: `127.0.0.1:50051` or `unix:///tmp/x.sock`. */
  target: string;
  /** The socket file (absolute), for a unix socket. */
  unixPath?: string;
  /** TCP only: the host. */
  host?: string;
  /** TCP only: the port. */
  port?: number;
}

/** The endpoint of a unix socket at `path` (made absolute). */
export function unixEndpoint(path: string): Endpoint {
  const absolute = resolve(path);
  const url = `unix://${absolute}`;
  return { url, target: url, unixPath: absolute };
}

/** The endpoint of a TCP `host` and `port`. */
export function tcpEndpoint(host: string, port: number): Endpoint {
  const hostPort = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return { url: `tcp://${hostPort}`, target: hostPort, host, port };
}

/**
 * Reads the endpoint flags; throws {@linkcode UsageError} for an empty host or
 * path, or a port outside 1-65535.
 */
export function parseEndpoint(flags: Record<string, string | boolean | undefined>): Endpoint {
  const unix = flags.unix;
  if (typeof unix === "string") {
    if (unix.trim() === "") throw new UsageError(`--unix must be a socket path, got ""`);
    return unixEndpoint(unix);
  }
  const host = String(flags.host ?? DEFAULT_HOST);
  if (host.trim() === "" || /[\s/]/.test(host)) {
    throw new UsageError(`--host must be a host name or address, got "${host}"`);
  }
  const port = numberFlag("port", flags.port ?? String(DEFAULT_PORT), { integer: true });
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got "${flags.port}"`);
  return tcpEndpoint(host, port);
}
