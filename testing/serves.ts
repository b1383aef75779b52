/**
 * The check that a server serves: a client run of a few small frames, every
 * one echoed and verified; and the test that a server at a TCP port does and
 * stops cleanly on SIGTERM.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ClientRun, freePort, runClient, startServer } from "./processes.ts";

/**
 * Runs `<transport>:client` at `endpoint` for `frames` frames of 640x480, no
 * warm-up, and asserts exit code 0, no error, and `frames` frames measured.
 */
export async function assertServes(
  transport: string,
  endpoint: string,
  frames: number,
): Promise<ClientRun> {
  const run = await runClient(`${transport}:client`, [
    ...["--endpoint", endpoint, "--size", "480p", "--warmup", "0", "--frames", String(frames)],
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.record?.errors, 0, run.record?.firstError);
  assert.equal(run.record?.frames, frames);
  return run;
}

/**
 * Registers the test that `<transport>:server` at a free TCP port on
 * 127.0.0.1 says so in its ready line, serves 20 frames, and exits 0 on
 * SIGTERM.
 */
export function tcpServesTest(transport: string): void {
  Deno.test(`${transport}: echo over TCP, and SIGTERM stops the server cleanly`, async () => {
    const endpoint = `tcp://127.0.0.1:${freePort()}`;
    const server = await startServer(`${transport}:server`, ["--endpoint", endpoint]);
    try {
      assert.equal(server.ready.endpoint, endpoint);
      await assertServes(transport, endpoint, 20);
    } finally {
      assert.equal((await server.stop("SIGTERM")).code, 0);
    }
  });
}
