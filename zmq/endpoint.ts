/**
 * ZeroMQ endpoints as the `--endpoint` flag takes them, shared by the server
 * and the client so that their defaults match.
 *
 * @module
 */

import { type FlagSpecs, UsageError } from "../common/flags.ts";

/** Where the server binds and the client connects by default. */
export const DEFAULT_ENDPOINT = "ipc:///tmp/framebench-zmq.sock";

/** The `--endpoint` flag, the same on both sides. */
export const ENDPOINT_FLAG: FlagSpecs = {
  endpoint: {
    type: "string",
    default: DEFAULT_ENDPOINT,
    description: "ipc:///path/to/socket or tcp://127.0.0.1:PORT",
  },
};

/** A parsed endpoint. */
export interface Endpoint {
  /** The endpoint as libzmq takes it. */
  url: string;
  /** The socket file, for `ipc://`. */
  ipcPath?: string;
}

/** Parses `--endpoint`; throws {@linkcode UsageError} unless it is `ipc://` or `tcp://host:port`. */
export function parseEndpoint(text: string): Endpoint {
  if (text.startsWith("ipc://") && text.length > "ipc://".length) {
    return { url: text, ipcPath: text.slice("ipc://".length) };
  }
  if (/^tcp:\/\/[^:/]+:\d{1,5}$/.test(text)) return { url: text };
  throw new UsageError(`--endpoint must be ipc:///path or tcp://host:port, got "${text}"`);
}
