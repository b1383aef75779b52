/**
 * Asserts how a task takes bad flags: exit code 2 and one line on stderr
 * that points to `--help`, for each set of arguments.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runClient } from "./processes.ts";

/** Runs `deno task <task>` with each of `argLists` and asserts a usage error for each. */
export async function assertUsageErrors(
  task: string,
  argLists: readonly (readonly string[])[],
): Promise<void> {
  for (const args of argLists) {
    const { code, stderr } = await runClient(task, [...args]);
    const what = `${task} ${args.join(" ")}: ${stderr}`;
    assert.equal(code, 2, what);
    assert.equal(stderr.trim().split("\n").length, 1, what);
    assert.match(stderr, /see --help/, what);
  }
}
