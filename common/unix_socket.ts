/**
 * Unix-socket files, shared by the transports that can listen on one: is a
 * server listening there, and listening with mode 0600 from the start.
 *
 * @module
 */

import { dirname } from "node:path";

/**
 * Tells whether a live server listens on the unix socket at `path`: true when
 * a connection is accepted, false when the file is missing or left over by a
 * process that is gone (connection refused). A server calls this before it
 * binds, because binding removes a left-over file and would silently take the
 * path from a live server too.
 */
export async function unixSocketInUse(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.ConnectionRefused) {
      return false;
    }
    throw error;
  }
}

/**
 * Listens on a unix socket at `path` that is never reachable with a mode
 * other than 0600 (only this user can connect): `listen` is called with a
 * path in a new private directory (mode 0700) beside `path`; the socket file
 * is set to 0600 there, then renamed to `path`, and the directory removed.
 * (Setting the mode after binding at `path` itself would leave a moment in
 * which anyone could connect; the process-wide umask is not ours to change.)
 * On Windows, `listen` gets `path` itself.
 */
export async function listenPrivately<T>(
  path: string,
  listen: (at: string) => Promise<T> | T,
): Promise<T> {
  if (Deno.build.os === "windows") return await listen(path);
  const dir = await Deno.makeTempDir({ dir: dirname(path), prefix: ".fb" });
  try {
    const at = `${dir}/s`;
    const listening = await listen(at);
    await Deno.chmod(at, 0o600);
    await Deno.rename(at, path);
    return listening;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
