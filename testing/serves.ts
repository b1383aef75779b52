/**
 * The check that a server serves (a client run of a few small frames, every
 * one echoed and verified), and the tests that a server at a socket file or a
 * TCP port does and stops cleanly.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ResultRecord } from "../common/record.ts";
import { type ClientRun, freePort, pathExists, runClient, startServer } from "./processes.ts";

/**
 * Runs `<transport>:client` at `endpoint` for `frames` frames of 640x480, no
 * warm-up (then `args`), and asserts exit code 0, no error, and `frames`
 * frames measured.
 */
export async function assertServes(
  transport: string,
  endpoint: string,
  frames: number,
  args: readonly string[] = [],
): Promise<ClientRun> {
  const run = await runClient(`${transport}:client`, [
    ...["--endpoint", endpoint, "--size", "480p", "--warmup", "0", "--frames", String(frames)],
    ...args,
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.record?.errors, 0, run.record?.firstError ?? "");
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

/** Options for {@linkcode socketFileServesTest}. */
export interface SocketFileServes {
  /** The extra arguments of each client run, one run each. Default: one run, none. */
  runs?: readonly (readonly string[])[];
  /** Asserts what is the transport's own in each run's record. Default: nothing more. */
  check?: (record: ResultRecord) => void;
}

/**
 * Registers the test that `<transport>:server` at a socket file
 * (`<scheme>://<path>`) says so in its ready line, makes the file mode 0600,
 * echoes 40 verified frames of 640x480 to each client run (its record
 * complete), and on SIGINT exits 0, having refused nothing and removed the
 * file.
 */
export function socketFileServesTest(
  transport: string,
  scheme: "unix" | "ipc",
  { runs = [[]], check }: SocketFileServes = {},
): void {
  const over = scheme === "unix" ? "a unix socket" : scheme;
  const name =
    `${transport}: echo over ${over}, verified, then a clean exit on SIGINT that removes the socket file`;
  Deno.test(name, async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/echo.sock`;
    const endpoint = `${scheme}://${path}`;
    const server = await startServer(`${transport}:server`, ["--endpoint", endpoint]);
    try {
      const { event, transport: named } = server.ready;
      assert.deepEqual([event, named, server.ready.endpoint], ["ready", transport, endpoint]);
      assert.equal((await Deno.lstat(path)).mode! & 0o777, 0o600);
      for (const args of runs) {
        const r = (await assertServes(transport, endpoint, 40, args)).record!;
        assert.deepEqual([r.status, r.transport, r.endpoint], ["ok", transport, endpoint]);
        assert.deepEqual([r.width, r.height, r.frameBytes], [640, 480, 640 * 480 * 3]);
        assert.ok(r.verified >= 40);
        assert.ok(
          r.fps > 0 && r.mbPerS > 0 && r.latencyMs.p50 > 0 && r.latencyMs.max >= r.latencyMs.p99,
        );
        check?.(r);
      }
    } finally {
      const stop = await server.stop("SIGINT");
      assert.equal(stop.code, 0, stop.stderr);
      assert.ok(stop.stopped && stop.stopped.frames >= 40 * runs.length, stop.stdout);
      assert.equal(stop.stopped.refused, 0);
      assert.equal(await pathExists(path), false, "socket file removed");
      await Deno.remove(dir, { recursive: true });
    }
  });
}
