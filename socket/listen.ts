/**
 * Listening on a unix or TCP endpoint, for the socket server and publisher:
 * a unix socket file is bound privately (common/unix_socket.ts) and removed
 * when the listener closes or the process exits; an endpoint in use is one
 * line.
 *
 * @module
 */

import { removeOnExit } from "../common/cleanup.ts";
import type { Endpoint } from "../common/endpoint.ts";
import { listenPrivately, unixSocketInUse } from "../common/unix_socket.ts";

/** A listener and where it listens. */
export interface Listening {
  /** The listener. */
  listener: Deno.Listener;
  /** Where peers connect, as a URL (a TCP port 0 replaced by the port given). */
  url: string;
  /** Closes the listener and removes a unix socket file; again, does nothing. */
  close(): void;
}

/** Listens on `endpoint` (`unix` or `tcp`); throws one line when it is in use. */
export async function listenOn(endpoint: Endpoint, transport: string): Promise<Listening> {
  let listener: Deno.Listener;
  let removeSocketFile: (() => void) | undefined;
  if (endpoint.kind === "unix") {
    if (await unixSocketInUse(endpoint.path)) {
      throw new Error(`${endpoint.url} is in use by another server`);
    }
    await Deno.remove(endpoint.path).catch(() => {}); // left by a server that was killed
    listener = await listenPrivately(
      endpoint.path,
      (path) => Deno.listen({ transport: "unix", path }),
    );
    removeSocketFile = removeOnExit(endpoint.path);
  } else if (endpoint.kind === "tcp") {
    try {
      listener = Deno.listen({ hostname: endpoint.host, port: endpoint.port });
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) {
        throw new Error(`${endpoint.url} is in use by another server`);
      }
      throw error;
    }
  } else {
    throw new Error(`the ${transport} transport cannot listen on ${endpoint.url}`);
  }
  const url = endpoint.kind === "tcp"
    ? endpoint.url.replace(/:\d+$/, `:${(listener.addr as Deno.NetAddr).port}`)
    : endpoint.url;
  let closed = false;
  return {
    listener,
    url,
    close() {
      if (closed) return;
      closed = true;
      try {
        listener.close();
      } catch { /* closed already */ }
      removeSocketFile?.();
    },
  };
}

/** Connects to `endpoint` (`unix` or `tcp`, no Nagle delay); `hint` ends the one-line error when nothing listens. */
export async function connectTo(endpoint: Endpoint, hint: string): Promise<Deno.Conn> {
  try {
    if (endpoint.kind === "unix") {
      return await Deno.connect({ transport: "unix", path: endpoint.path });
    } else if (endpoint.kind === "tcp") {
      const tcp = await Deno.connect({ hostname: endpoint.host, port: endpoint.port });
      tcp.setNoDelay(true);
      return tcp;
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.ConnectionRefused) {
      throw new Error(`nothing listens at ${endpoint.url}: ${hint}`);
    }
    throw error;
  }
  throw new Error(`cannot connect to ${endpoint.url}`);
}
