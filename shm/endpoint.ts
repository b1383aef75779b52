/**
 * Where a shared-memory server is, the same on both sides: `--endpoint
 * shm://NAME` names its doorway `/dev/shm/NAME` (the clients' rings are
 * `/dev/shm/NAME.PID`), and the `zmq` variant's socket lies beside it.
 *
 * @module
 */

import { type Endpoint, parseEndpoint } from "../common/endpoint.ts";

/** Where the server is by default. */
export const DEFAULT_ENDPOINT = "shm://framebench-shm";

/** The `--endpoint` of both sides: its default and the one kind of URL taken. */
export const SHM_ENDPOINT = { default: DEFAULT_ENDPOINT, kinds: ["shm"] } as const;

/**
 * The segment name of `endpoint` (default {@linkcode DEFAULT_ENDPOINT});
 * throws for an endpoint that is not `shm://`.
 */
export function segmentName(endpoint: Endpoint = parseEndpoint(DEFAULT_ENDPOINT, ["shm"])): string {
  if (endpoint.kind !== "shm") {
    throw new Error(`the shm transport cannot use ${endpoint.url}: it takes shm://NAME`);
  }
  return endpoint.name;
}

/** The ZeroMQ endpoint of the `zmq` variant for segment `name`: a unix socket beside it. */
export function zmqEndpoint(name: string): { url: string; path: string } {
  const path = `/tmp/${name}.sock`;
  return { url: `ipc://${path}`, path };
}
