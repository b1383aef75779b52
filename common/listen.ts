/**
 * A server's listening socket on a `unix` or `tcp` endpoint, with the checks
 * every server makes: a path or port that another server holds is one line,
 * a socket file left by a killed server is replaced, a unix socket is private
 * (mode 0600) and removed when the server stops or the process ends.
 *
 * @module
 */

import { removeOnExit } from "./cleanup.ts";
import type { Endpoint } from "./endpoint.ts";
import { listenPrivately, unixSocketInUse } from "./unix_socket.ts";

/** A unix socket bound by {@linkcode listenUnix}. */
export interface UnixListening<T> {
  /** What `listen` returned. */
  listening: T;
  /** Removes the socket file now (and no longer at exit). */
  remove: () => void;
}

/**
 * Binds a unix socket at `endpoint.path` with `listen` (given the path to
 * bind): throws one line when a live server listens there, removes a file
 * left by a server that was killed, and registers the file's removal at exit.
 */
export async function listenUnix<T>(
  endpoint: { url: string; path: string },
  listen: (at: string) => Promise<T> | T,
): Promise<UnixListening<T>> {
  if (await unixSocketInUse(endpoint.path)) {
    throw new Error(`${endpoint.url} is in use by another server`);
  }
  // A file left by a server that was killed: binding would fail on it.
  await Deno.remove(endpoint.path).catch(() => {});
  const listening = await listenPrivately(endpoint.path, listen);
  return { listening, remove: removeOnExit(endpoint.path) };
}

/** A stream listener from {@linkcode listenStream}. */
export interface StreamListening {
  /** The listener (`Deno.listen`). */
  listener: Deno.Listener;
  /** Where it listens, as the ready line says it: TCP port 0 replaced by the port taken. */
  url: string;
  /** Closes the listener and removes a unix socket file. */
  close: () => void;
}

/**
 * Listens with `Deno.listen` on a `unix` or `tcp` endpoint; throws one line
 * when another server holds it, or for another kind of endpoint.
 */
export async function listenStream(endpoint: Endpoint): Promise<StreamListening> {
  if (endpoint.kind === "unix") {
    const { listening: listener, remove } = await listenUnix(
      endpoint,
      (path) => Deno.listen({ transport: "unix", path }),
    );
    return { listener, url: endpoint.url, close: () => closeThen(listener, remove) };
  }
  if (endpoint.kind !== "tcp") throw new Error(`cannot listen on ${endpoint.url}`);
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: endpoint.host, port: endpoint.port });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new Error(`${endpoint.url} is in use by another server`);
    }
    throw new Error(`cannot listen on ${endpoint.url}: ${(error as Error).message}`);
  }
  const url = endpoint.url.replace(/:\d+$/, `:${listener.addr.port}`);
  return { listener, url, close: () => closeThen(listener, () => {}) };
}

function closeThen(listener: Deno.Listener, then: () => void): void {
  try {
    listener.close();
  } catch { /* closed already */ }
  then();
}

/** Resolves once `signal` aborts (at once if it has). */
export function aborted(signal: AbortSignal): Promise<void> {
  const { promise, resolve } = Promise.withResolvers<void>();
  if (signal.aborted) resolve();
  else signal.addEventListener("abort", () => resolve(), { once: true });
  return promise;
}
