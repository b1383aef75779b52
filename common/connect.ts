/**
 * A client's stream socket to a `unix` or `tcp` endpoint, TCP without
 * Nagle's delay (a frame's last bytes go at once).
 *
 * @module
 */

import type { Endpoint } from "./endpoint.ts";

/**
 * Connects to `endpoint`. Throws what `Deno.connect` throws (e.g.
 * `Deno.errors.ConnectionRefused`, `NotFound`), for the caller to word, or an
 * error for another kind of endpoint.
 */
export async function connectStream(endpoint: Endpoint): Promise<Deno.Conn> {
  if (endpoint.kind === "unix") {
    return await Deno.connect({ transport: "unix", path: endpoint.path });
  }
  if (endpoint.kind !== "tcp") throw new Error(`cannot connect to ${endpoint.url}`);
  const tcp = await Deno.connect({ hostname: endpoint.host, port: endpoint.port });
  tcp.setNoDelay(true);
  return tcp;
}
