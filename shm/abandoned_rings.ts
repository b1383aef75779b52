/**
 * Rings whose client died before a server attached them. A client makes its
 * ring `/dev/shm/NAME.PID` and removes the name once the server has mapped
 * it (or on any exit it lives through); only a client killed in between, by
 * SIGKILL while it waited for a busy or absent server, leaves the name. The
 * server removes such names when it starts and when it stops.
 *
 * @module
 */

import type { MappedSegment, SharedMemoryPlatform } from "./platform.ts";

/**
 * Removes the rings of server `name` whose client is gone: the ring's lock
 * is free (a live client holds it for its whole life) and the process of its
 * pid no longer runs. Returns the names removed; a ring that cannot be read
 * is left alone.
 */
export function removeAbandonedRings(platform: SharedMemoryPlatform, name: string): string[] {
  const removed: string[] = [];
  for (const ring of platform.list(`${name}.`)) {
    const digits = ring.slice(name.length + 1);
    if (!/^\d{1,10}$/.test(digits)) continue;
    const pid = Number(digits);
    // A client between making its ring and locking it holds no lock yet, but runs.
    if (platform.processAlive(pid)) continue;
    let segment: MappedSegment | undefined;
    try {
      segment = platform.open(ring);
    } catch {
      continue;
    }
    if (!segment) continue;
    try {
      if (!segment.tryLock()) continue;
      segment.unlock();
    } finally {
      segment.close();
    }
    if (platform.unlink(ring)) removed.push(ring);
  }
  return removed;
}
