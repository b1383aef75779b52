/**
 * Where the REST server listens and its client connects, the same on both
 * sides: `--endpoint http://HOST:PORT` (or `tcp://HOST:PORT`, the same TCP)
 * or `unix:///PATH` (common/endpoint.ts parses them).
 *
 * @module
 */

import type { Endpoint, EndpointKind } from "../common/endpoint.ts";

/** Where the server listens and the client connects by default. */
export const DEFAULT_ENDPOINT = "http://127.0.0.1:8080";

/** The `--endpoint` of both commands: its default and the kinds of URL it takes. */
export const REST_ENDPOINT: { default: string; kinds: readonly EndpointKind[] } = {
  default: DEFAULT_ENDPOINT,
  kinds: ["http", "tcp", "unix"],
};

/**
 * The endpoint as the ready line and result records show it, a URL that
 * `--endpoint` takes back: `http://HOST:PORT` for TCP (given as `http://` or
 * `tcp://`), with `port` in place of the one given when stated (a server on
 * port 0), or `unix:///PATH`.
 */
export function restUrl(endpoint: Endpoint, port?: number): string {
  const url = endpoint.url.replace(/^tcp:/, "http:");
  return port === undefined ? url : url.replace(/:\d+$/, `:${port}`);
}
