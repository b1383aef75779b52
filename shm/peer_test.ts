// The Python peer (standard library only), both ways, with /usr/bin/python3.
import assert from "node:assert/strict";
import { PYTHON, python, pythonMissing, type PythonRun } from "../testing/python.ts";
import { lines, listNames, ROOT, runClient, startServer } from "../testing/processes.ts";

const PEER = `${ROOT}shm/peer.py`;
const missing = await pythonMissing();
if (missing) console.error(`shm peer tests skipped: ${missing}`);
const hasPython = missing === undefined;
const ignore = !hasPython;
let count = 0;

function freshName(): string {
  return `fbpeer-${Deno.pid}-${count++}`;
}

function entries(name: string): string[] {
  return listNames("/dev/shm").filter((n) => n === name || n.startsWith(`${name}.`));
}

function peer(args: string[]): Promise<PythonRun> {
  return python([PEER, ...args]);
}

Deno.test({ name: "peer: the Python client against the Deno server", ignore }, async () => {
  const name = freshName();
  const server = await startServer("shm:server", ["--name", name]);
  try {
    const run = await peer([
      "client",
      "--name",
      name,
      "--size",
      "320x240",
      "--slots",
      "3",
      "--frames",
      "150",
    ]);
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
  const child = new Deno.Command(PYTHON, {
    args: [PEER, "server", "--name", name],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = lines(child.stdout);
  const stderr = new Response(child.stderr).text();
  try {
    const first = await out.next();
    assert.equal(JSON.parse(first.value!).event, "ready", first.value);
    assert.deepEqual(entries(name), [name]);
    const run = await runClient("shm:client", [
      "--name",
      name,
      "--size",
      "320x240",
      "--warmup",
      "0",
      "--frames",
      "100",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.record?.errors, 0);
    assert.equal(run.record?.frames, 100);
    // The zmq variant needs a ZeroMQ server: the peer refuses that ring clearly.
    const zmq = await runClient("shm:client", [
      "--name",
      name,
      "--size",
      "64x48",
      "--variant",
      "zmq",
    ]);
    assert.equal(zmq.code, 1);
    assert.match(zmq.record!.reason!, /refused the ring: .*ZeroMQ notification/);
  } finally {
    child.kill("SIGINT");
    const status = await child.status;
    const rest: string[] = [];
    for await (const line of out) rest.push(line);
    assert.equal(status.code, 0, await stderr);
    const stopped = JSON.parse(rest.at(-1)!);
    assert.equal(stopped.event, "stopped");
    assert.ok(stopped.frames >= 100);
    assert.deepEqual(entries(name), []);
  }
});

Deno.test({
  name: "peer: a client that dies in the middle of a frame does not wedge the server",
  ignore,
}, async () => {
  const name = freshName();
  const server = await startServer("shm:server", ["--name", name]);
  try {
    const dead = await peer([
      "client",
      "--name",
      name,
      "--size",
      "64x48",
      "--frames",
      "50",
      "--die-at",
      "7",
    ]);
    assert.equal(dead.code, 137, dead.stderr); // SIGKILL
    assert.deepEqual(entries(name), [name], "no ring left by name");
    const run = await runClient("shm:client", [
      "--name",
      name,
      "--size",
      "64x48",
      "--warmup",
      "0",
      "--frames",
      "20",
    ]);
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
  const child = new Deno.Command(PYTHON, {
    args: [PEER, "server", "--name", name, "--spoil-checksum-at", "5"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = lines(child.stdout);
  const stderr = new Response(child.stderr).text();
  try {
    const first = await out.next();
    assert.equal(JSON.parse(first.value!).event, "ready", first.value);
    const run = await runClient("shm:client", [
      "--name",
      name,
      "--size",
      "64x48",
      "--warmup",
      "0",
      "--frames",
      "20",
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.record?.errors, 1);
    assert.deepEqual(run.record?.errorKinds, { corrupt: 1 });
    assert.match(
      run.record!.firstError!,
      /^frame 5: the server's checksum is 0x[0-9a-f]{8}, the frame sent has 0x[0-9a-f]{8}$/,
    );
  } finally {
    child.kill("SIGINT");
    const status = await child.status;
    for await (const _ of out) { /* drain */ }
    assert.equal(status.code, 0, await stderr);
    assert.deepEqual(entries(name), []);
  }
});
