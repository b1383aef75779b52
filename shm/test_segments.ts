/**
 * For shm's process-level tests: a segment name of a test's own, the
 * `--endpoint` that names it, and what of it is left in /dev/shm.
 *
 * @module
 */

import { listNames } from "../testing/processes.ts";

let count = 0;

/** A segment name no other test uses: `PREFIX-PID-N`. */
export function freshName(prefix: string): string {
  return `${prefix}-${Deno.pid}-${count++}`;
}

/** `--endpoint shm://NAME`, as both sides (and the Python peers) take it. */
export function endpointArgs(name: string): string[] {
  return ["--endpoint", `shm://${name}`];
}

/** The /dev/shm entries of segment `name`: its doorway and its rings `NAME.PID`, sorted. */
export function entries(name: string): string[] {
  return listNames("/dev/shm").filter((n) => n === name || n.startsWith(`${name}.`)).sort();
}
