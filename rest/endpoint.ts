/**
 * Where the REST server listens and the client connects, as the `--host`,
 * `--port` and `--unix` flags take it, shared by both sides so that their
 * defaults match.
 *
 * @module
 */

import { type FlagSpecs, numberFlag, UsageError } from "../common/flags.ts";

/** The host the server binds and the client connects to by default. */
export const DEFAULT_HOST = "127.0.0.1";
/** The TCP port by default. */
export const DEFAULT_PORT = 8080;

/** The `--host`, `--port` and `--unix` flags, the same on both sides. */
export const ENDPOINT_FLAGS: FlagSpecs = {
  host: {
    type: "string",
    default: DEFAULT_HOST,
    description: "TCP host to listen on / connect to",
  },
  port: {
    type: "string",
    default: String(DEFAULT_PORT),
    description: "TCP port (the server takes 0 for any free port)",
  },
  unix: { type: "string", description: "a unix socket path instead of TCP (not on Windows)" },
};

/** A parsed endpoint. */
export type Endpoint =
  | {
    /** TCP. */
    kind: "tcp";
    /** Host name or address. */
    host: string;
    /** Port; 0 lets the server pick one. */
    port: number;
  }
  | {
    /** A unix socket. */
    kind: "unix";
    /** Path of the socket file. */
    path: string;
  };

/**
 * Parses `--host`, `--port` and `--unix` from parsed flag values. Throws
 * {@linkcode UsageError} for a bad port or for `--unix` together with
 * `--host`/`--port` given by hand.
 */
export function parseEndpoint(
  flags: Record<string, string | boolean | undefined>,
  args: readonly string[] = [],
): Endpoint {
  const unix = flags.unix as string | undefined;
  if (unix !== undefined) {
    if (unix === "") throw new UsageError("--unix needs a socket path");
    if (args.some((a) => /^--(host|port)(=|$)/.test(a))) {
      throw new UsageError("--unix cannot be combined with --host or --port");
    }
    return { kind: "unix", path: unix };
  }
  const host = flags.host as string;
  if (!/^[A-Za-z0-9.:\-\[\]]+$/.test(host)) {
    throw new UsageError(`--host must be a host name or address, got "${host}"`);
  }
  const port = numberFlag("port", flags.port, { min: 0, inclusive: true, integer: true });
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got "${flags.port}"`);
  return { kind: "tcp", host, port };
}

/**
 * The endpoint as a URL, as the ready line and result records show it:
 * `http://127.0.0.1:8080` or `http+unix:///tmp/framebench-rest.sock`.
 */
export function endpointUrl(endpoint: Endpoint): string {
  if (endpoint.kind === "unix") return `http+unix://${endpoint.path}`;
  const host = endpoint.host.includes(":") && !endpoint.host.startsWith("[")
    ? `[${endpoint.host}]`
    : endpoint.host;
  return `http://${host}:${endpoint.port}`;
}
