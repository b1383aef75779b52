/**
 * The promise every server makes about an endpoint another server holds: it
 * exits with code 1 before it is ready, saying so in one line, and leaves the
 * first one alone; as an assertion, and as a whole test.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ExitedEarly, freePort, startServer } from "./processes.ts";
import { assertServes } from "./serves.ts";

/** Options for {@linkcode assertEndpointsInUse}. */
export interface InUseOptions {
  /** Arguments given before `--endpoint` (e.g. `--impl lean`). Default: none. */
  args?: readonly string[];
  /** What the line must say after the task's name. Default: `/in use/`. */
  says?: RegExp;
}

/**
 * Starts `task` at each of `endpoints` (each already held by a running
 * server) and asserts that it exits with code 1 before it is ready, with one
 * line on stderr that begins with its name, names the endpoint, and says
 * that it is in use.
 */
export async function assertEndpointsInUse(
  task: string,
  endpoints: readonly string[],
  options: InUseOptions = {},
): Promise<void> {
  const { args = [], says = /in use/ } = options;
  for (const endpoint of endpoints) {
    const error = await startServer(task, [...args, "--endpoint", endpoint]).then(
      () => assert.fail(`a second ${task} started at ${endpoint}`),
      (error: unknown) => error,
    );
    assert(error instanceof ExitedEarly, String(error));
    assert.equal(error.code, 1, error.message);
    const [, line] = error.message.split(" before it was ready: ");
    assert.equal(line?.split("\n").length, 1, error.message);
    assert.ok(line.startsWith(`${task}: `), line);
    assert.ok(line.includes(endpoint), `${line}: not ${endpoint}`);
    assert.match(line, says);
  }
}

/**
 * Registers the test that a second `<transport>:server` at a socket file
 * (`<scheme>://<path>`) or at a TCP port that a first one holds is refused
 * ({@linkcode assertEndpointsInUse}), and that the first keeps serving and
 * then stops with exit code 0.
 */
export function endpointInUseTest(
  transport: string,
  scheme: "unix" | "ipc",
  options: InUseOptions = {},
): void {
  const task = `${transport}:server`;
  Deno.test(`${transport}: an endpoint in use is refused in one line, and the first server keeps serving`, async () => {
    const dir = await Deno.makeTempDir();
    const endpoints = [`${scheme}://${dir}/busy.sock`, `tcp://127.0.0.1:${freePort()}`];
    const servers = await Promise.all(endpoints.map((e) => startServer(task, ["--endpoint", e])));
    try {
      await assertEndpointsInUse(task, endpoints, options);
      await assertServes(transport, endpoints[0], 5);
    } finally {
      for (const server of servers) assert.equal((await server.stop()).code, 0);
      await Deno.remove(dir, { recursive: true });
    }
  });
}
