/**
 * The promise every script makes about bad flags: exit code 2 and one line
 * on stderr that points to `--help`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runClient } from "./processes.ts";

/**
 * Runs each command of `commands` (one a line: a task and its arguments, as
 * after `deno task`, split at spaces) and asserts code 2 and one line that
 * says `see --help`.
 */
export async function assertUsageErrors(commands: string): Promise<void> {
  for (const command of commands.trim().split("\n")) {
    const [task, ...args] = command.trim().split(/\s+/);
    const run = await runClient(task, args);
    assert.equal(run.code, 2, `${command.trim()}: ${run.stderr}`);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, /see --help/);
  }
}
