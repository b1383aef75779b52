/**
 * The check every transport's tests make of its scripts' bad flags: exit code
 * 2 and one line on stderr that points to `--help`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runClient } from "./processes.ts";

/** Runs each `[task, args]` and asserts exit code 2 and one line that says "see --help". */
export async function assertUsageErrors(
  cases: readonly (readonly [string, readonly string[]])[],
): Promise<void> {
  for (const [task, args] of cases) {
    const run = await runClient(task, [...args]);
    assert.equal(run.code, 2, `${task} ${args}: ${run.stderr}`);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, /see --help/);
  }
}
