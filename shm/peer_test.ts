// The Python peer (standard library only), both ways, with /usr/bin/python3.
import assert from "node:assert/strict";
import { PYTHON, python, pythonMissing, type PythonRun } from "../testing/python.ts";
import { lines, ROOT, runClient, startServer } from "../testing/processes.ts";
import { endpointArgs, entries, freshName as freshNameOf } from "./test_segments.ts";

const PEER = `${ROOT}shm/peer.py`;
const missing = await pythonMissing();
if (missing) console.error(`shm peer tests skipped: ${missing}`);
const ignore = missing !== undefined;
const freshName = () => freshNameOf("fbpeer");

/** A Python client run against segment `name`, with `args`. */
function pythonClient(name: string, ...args: string[]): Promise<PythonRun> {
  return python([PEER, "client", ...endpointArgs(name), ...args]);
}

/** A Deno client run of `frames` frames of `size`, no warm-up, against segment `name`. */
function denoClient(name: string, size: string, frames: number, ...more: string[]) {
  return runClient("shm:client", [
    ...endpointArgs(name),
    ...["--size", size, "--warmup", "0", "--frames", String(frames)],
    ...more,
  ]);
}

/**
 * Runs `test` against a Python server of segment `name` started with
 * `args`, then stops it with SIGINT and checks that it exits with code 0,
 * leaving nothing in /dev/shm; resolves with the server's stdout lines after
 * its ready line.
 */
async function withPythonServer(
  name: string,
  args: string[],
  test: () => Promise<void>,
): Promise<string[]> {
  const child = new Deno.Command(PYTHON, {
    args: [PEER, "server", ...endpointArgs(name), ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = lines(child.stdout);
  const stderr = new Response(child.stderr).text();
  const rest: string[] = [];
  try {
    const first = await out.next();
    assert.equal(JSON.parse(first.value!).event, "ready", first.value);
    await test();
  } finally {
    child.kill("SIGINT");
    const status = await child.status;
    for await (const line of out) rest.push(line);
    assert.equal(status.code, 0, await stderr);
    assert.deepEqual(entries(name), []);
  }
  return rest;
}

Deno.test({ name: "peer: the Python client against the Deno server", ignore }, async () => {
  const name = freshName();
  const server = await startServer("shm:server", endpointArgs(name));
  try {
    const run = await pythonClient(name, "--size", "320x240", "--slots", "3", "--frames", "150");
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { frames: 150, verified: 150, errors: 0 });
  } finally {
    const stop = await server.stop();
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stopped?.frames, 150);
    assert.equal(stop.stopped?.refused, 0);
    assert.deepEqual(entries(name), []);
  }
});

Deno.test({ name: "peer: the Deno client against the Python server", ignore }, async () => {
  const name = freshName();
  const rest = await withPythonServer(name, [], async () => {
    assert.deepEqual(entries(name), [name]);
    const run = await denoClient(name, "320x240", 100);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.record?.errors, 0);
    assert.equal(run.record?.frames, 100);
    // The zmq variant needs a ZeroMQ server: the peer refuses that ring clearly.
    const zmq = await runClient("shm:client", [
      ...endpointArgs(name),
      ...["--size", "64x48", "--variant", "zmq"],
    ]);
    assert.equal(zmq.code, 1);
    assert.match(zmq.record!.reason!, /refused the ring: .*ZeroMQ notification/);
  });
  const stopped = JSON.parse(rest.at(-1)!);
  assert.equal(stopped.event, "stopped");
  assert.ok(stopped.frames >= 100);
});

Deno.test({
  name: "peer: a client that dies in the middle of a frame does not wedge the server",
  ignore,
}, async () => {
  const name = freshName();
  const server = await startServer("shm:server", endpointArgs(name));
  try {
    const dead = await pythonClient(name, "--size", "64x48", "--frames", "50", "--die-at", "7");
    assert.equal(dead.code, 137, dead.stderr); // SIGKILL
    assert.deepEqual(entries(name), [name], "no ring left by name");
    const run = await denoClient(name, "64x48", 20);
    assert.equal(run.code, 0, run.stderr);
  } finally {
    const stop = await server.stop();
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stopped?.refused, 1, stop.stderr);
    assert.match(stop.stderr, /frame 7 changed while read|slot \d is writing, not posted/);
    assert.match(stop.stderr, /ended without closing its ring; the ring was released/);
    assert.deepEqual(entries(name), []);
  }
});

Deno.test({
  name: "peer: a checksum that does not match the frame sent is an error for the Deno client",
  ignore,
}, async () => {
  const name = freshName();
  await withPythonServer(name, ["--spoil-checksum-at", "5"], async () => {
    const run = await denoClient(name, "64x48", 20);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.record?.errors, 1);
    assert.deepEqual(run.record?.errorKinds, { corrupt: 1 });
    assert.match(
      run.record!.firstError!,
      /^frame 5: the server's checksum is 0x[0-9a-f]{8}, the frame sent has 0x[0-9a-f]{8}$/,
    );
  });
});
