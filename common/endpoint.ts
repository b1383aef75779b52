/**
 * Where a server listens and its clients connect, written the same way for
 * every transport: one `--endpoint URL` flag.
 *
 * | URL                  | what                                                     |
 * | -------------------- | -------------------------------------------------------- |
 * | `unix:///PATH`       | a unix stream socket (a relative PATH is made absolute)  |
 * | `tcp://HOST:PORT`    | TCP; `[::1]` for an IPv6 address; port 0: any free port  |
 * | `ipc:///PATH`        | ZeroMQ's name for a unix socket                          |
 * | `http://HOST:PORT`   | REST's TCP, as a browser writes it                       |
 * | `shm://NAME`         | a shared-memory segment, `/dev/shm/NAME` on Linux        |
 *
 * @example Parse what a user typed, for a transport that takes unix and TCP
 * ```ts
 * import { parseEndpoint } from "./endpoint.ts";
 *
 * const endpoint = parseEndpoint("tcp://127.0.0.1:5555", ["unix", "tcp"]);
 * if (endpoint.kind === "tcp") console.log(endpoint.host, endpoint.port);
 * ```
 *
 * @module
 */

import { resolve } from "node:path";
import { type FlagSpecs, UsageError } from "./flags.ts";

/** The kinds of endpoint, by their URL scheme. */
export type EndpointKind = "unix" | "tcp" | "ipc" | "http" | "shm";

/** A parsed endpoint; `url` is its canonical form, as ready lines and records show it. */
export type Endpoint =
  | { kind: "unix" | "ipc"; url: string; /** Absolute path of the socket file. */ path: string }
  | {
    kind: "tcp" | "http";
    url: string;
    /** Host name or address, IPv6 without brackets. */
    host: string;
    /** 0 to 65535; 0 lets a server take any free port. */
    port: number;
  }
  | { kind: "shm"; url: string; /** Segment name, without a leading slash. */ name: string };

const EXAMPLES: Record<EndpointKind, string> = {
  unix: "unix:///path/to/socket",
  tcp: "tcp://127.0.0.1:PORT",
  ipc: "ipc:///path/to/socket",
  http: "http://127.0.0.1:PORT",
  shm: "shm://NAME",
};

/**
 * Parses an endpoint URL of one of the `kinds` a transport takes. Throws
 * {@linkcode UsageError}, naming the forms it takes, for anything else.
 */
export function parseEndpoint(text: string, kinds: readonly EndpointKind[]): Endpoint {
  const bad = (why = "") =>
    new UsageError(
      `--endpoint must be ${kinds.map((k) => EXAMPLES[k]).join(" or ")}, got "${text}"${why}`,
    );
  const scheme = /^([a-z]+):\/\//.exec(text)?.[1] as EndpointKind | undefined;
  if (!scheme || !kinds.includes(scheme)) throw bad();
  const rest = text.slice(scheme.length + 3);
  switch (scheme) {
    case "unix":
    case "ipc": {
      if (rest === "") throw bad(": no path");
      const path = resolve(rest);
      return { kind: scheme, url: `${scheme}://${path}`, path };
    }
    case "tcp":
    case "http": {
      const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.\-]+)):(\d{1,5})\/?$/.exec(rest);
      if (!match) throw bad(": expected HOST:PORT");
      const host = match[1] ?? match[2];
      const port = Number(match[3]);
      if (port > 65535) throw bad(": the port is over 65535");
      const hostPart = host.includes(":") ? `[${host}]` : host;
      return { kind: scheme, url: `${scheme}://${hostPart}:${port}`, host, port };
    }
    case "shm": {
      if (!/^[A-Za-z0-9_\-][A-Za-z0-9._\-]{0,199}$/.test(rest)) {
        throw bad(": a name of letters, digits, '.', '_' or '-', not starting with '.'");
      }
      return { kind: "shm", url: `shm://${rest}`, name: rest };
    }
  }
}

/** The `--endpoint` flag of a transport whose default is `defaultUrl`. */
export function endpointFlag(defaultUrl: string, kinds: readonly EndpointKind[]): FlagSpecs {
  return {
    endpoint: {
      type: "string",
      default: defaultUrl,
      description: `where the server listens: ${kinds.map((k) => EXAMPLES[k]).join(" or ")}`,
    },
  };
}

/** Whether `host` is this machine only (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
