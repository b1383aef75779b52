/**
 * Checks on unix-socket files, shared by the transports that can listen on one.
 *
 * @module
 */

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
