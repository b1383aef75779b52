// The shared-memory server and client as real processes, started from the
// same tasks a user runs (deno.json).
import assert from "node:assert/strict";
import { startClient } from "../testing/background_client.ts";
import { pathExists, runClient, startServer } from "../testing/processes.ts";
import { assertUsageErrors } from "../testing/usage_errors.ts";
import { PAGE_BYTES, PREAMBLE, SEGMENT_MAGIC, SegmentKind } from "./layout.ts";
import { sharedMemoryPlatform } from "./platform.ts";
import { endpointArgs, entries, freshName as freshNameOf } from "./test_segments.ts";

const platform = await sharedMemoryPlatform();
const SMALL = ["--size", "480p", "--warmup", "0"];
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const freshName = () => freshNameOf("fbtest");

/** A client run against segment `name`: small frames, no warm-up, then `args`. */
function client(name: string, ...args: string[]) {
  return runClient("shm:client", [...endpointArgs(name), ...SMALL, ...args]);
}

/** A file's permission bits, in octal, as `stat` prints them. */
function modeOf(path: string): string {
  const out = new Deno.Command("stat", { args: ["-c", "%a", path] }).outputSync();
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("shm: futex echo, verified, then SIGINT removes everything", async () => {
  const name = freshName();
  const server = await startServer("shm:server", endpointArgs(name));
  try {
    assert.equal(server.ready.endpoint, `shm://${name}`);
    assert.equal(server.ready.transport, "shm");
    assert.deepEqual(entries(name), [name]);
    assert.equal(modeOf(`/dev/shm/${name}`), "600");
    const run = await client(name, "--frames", "200");
    assert.equal(run.code, 0, run.stderr);
    const r = run.record!;
    assert.equal(r.status, "ok");
    assert.equal(r.transport, "shm");
    assert.equal(r.variant, "futex");
    assert.equal(r.endpoint, `shm://${name}`);
    assert.equal(r.frames, 200);
    assert.ok(r.verified >= 200);
    assert.equal(r.errors, 0);
    assert.equal(r.runtime.packages.slots, "2");
    assert.deepEqual(entries(name), [name], "the client's ring is gone");
  } finally {
    const stop = await server.stop("SIGINT");
    assert.equal(stop.code, 0, stop.stderr);
    assert.ok(stop.stopped && stop.stopped.frames >= 200, stop.stdout);
    assert.equal(stop.stopped?.refused, 0);
    assert.deepEqual(entries(name), []);
  }
});

Deno.test("shm: zmq variant (properties over ZeroMQ), SIGTERM removes the socket file", async () => {
  const name = freshName();
  const server = await startServer("shm:server", endpointArgs(name));
  try {
    const run = await client(name, "--variant", "zmq", "--slots", "2", "--frames", "100");
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.record?.variant, "zmq");
    assert.equal(run.record?.errors, 0);
    assert.equal(run.record?.frames, 100);
    assert.match(run.record!.runtime.packages.libzmq, /^4\./);
    assert.equal(await pathExists(`/tmp/${name}.sock`), true);
    assert.equal(Deno.statSync(`/tmp/${name}.sock`).mode! & 0o777, 0o600);
  } finally {
    const stop = await server.stop("SIGTERM");
    assert.equal(stop.code, 0, stop.stderr);
    assert.ok(stop.stopped!.frames >= 100);
    assert.equal(await pathExists(`/tmp/${name}.sock`), false);
    assert.deepEqual(entries(name), []);
  }
});

Deno.test("shm: two clients at once, each with its own ring, both verified", async () => {
  const name = freshName();
  const server = await startServer("shm:server", endpointArgs(name));
  try {
    const [a, b] = await Promise.all([
      client(name, "--frames", "300"),
      runClient("shm:client", [
        ...endpointArgs(name),
        ...["--size", "64x48", "--warmup", "0", "--frames", "300", "--variant", "zmq"],
      ]),
    ]);
    for (const run of [a, b]) {
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.record?.errors, 0);
      assert.equal(run.record?.frames, 300);
    }
  } finally {
    const stop = await server.stop();
    assert.equal(stop.code, 0);
    assert.deepEqual(entries(name), []);
  }
});

Deno.test("shm: a server stopped mid-run ends the client's run with one line", async () => {
  const name = freshName();
  const server = await startServer("shm:server", endpointArgs(name));
  const running = startClient("shm:client", [...endpointArgs(name), ...SMALL, "--seconds", "20"]);
  await running.printed(/round trip/); // frames are flowing
  const stop = await server.stop("SIGTERM");
  assert.equal(stop.code, 0, stop.stderr);
  const run = await running.ended();
  assert.equal(run.code, 1);
  assert.equal(run.record?.status, "failed");
  assert.match(run.record!.reason!, /the server \(pid \d+\) is gone/);
  assert.equal(run.record?.errors, 0);
  assert.deepEqual(entries(name), []);
});

Deno.test("shm: a client with no server fails within its timeout and says so in one line", async () => {
  const name = freshName();
  const started = performance.now();
  const run = await client(name, "--timeout", "1");
  assert.ok(performance.now() - started < 15000);
  assert.equal(run.code, 1);
  assert.equal(run.record?.status, "failed");
  assert.match(
    run.record!.reason!,
    new RegExp(`no server at /dev/shm/${name} after waiting 1 s: is .* running`),
  );
  assert.deepEqual(entries(name), [], "the client removed its ring");
});

Deno.test("shm: the ring of a client killed before it was served is removed by the next server", async () => {
  const name = freshName();
  // No server yet: the client makes its ring and waits for one to appear.
  const waiting = startClient("shm:client", [...endpointArgs(name), ...SMALL, "--timeout", "20"]);
  for (let waited = 0; entries(name).length === 0; waited += 50) {
    if (waited > 20000) assert.fail("the client made no ring within 20 s");
    await delay(50);
  }
  waiting.child.kill("SIGKILL");
  const killed = await waiting.ended();
  assert.equal(killed.code, 137);
  const left = entries(name);
  assert.equal(left.length, 1, "SIGKILL left the client's ring");
  assert.match(left[0], new RegExp(`^${name}\\.\\d+$`));
  const server = await startServer("shm:server", endpointArgs(name));
  try {
    assert.deepEqual(entries(name), [name]);
  } finally {
    const stop = await server.stop();
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stderr, new RegExp(`removed /dev/shm/${name}\\.\\d+: its client died`));
  }
  assert.deepEqual(entries(name), []);
});

Deno.test("shm: SIGKILL and SIGINT of a client mid-run: the server releases its ring and goes on", async () => {
  const name = freshName();
  const server = await startServer("shm:server", endpointArgs(name));
  try {
    for (const signal of ["SIGKILL", "SIGINT"] as const) {
      const running = startClient("shm:client", [
        ...endpointArgs(name),
        ...["--size", "1080p", "--seconds", "30"],
      ]);
      await running.printed(/fps/); // frames are flowing
      running.child.kill(signal);
      assert.notEqual((await running.ended()).code, 0);
      assert.deepEqual(entries(name), [name], `after ${signal}: no ring left by name`);
      const run = await client(name, "--frames", "20");
      assert.equal(run.code, 0, run.stderr);
    }
  } finally {
    const stop = await server.stop();
    assert.equal(stop.code, 0, stop.stderr);
    assert.deepEqual(entries(name), []);
  }
});

Deno.test("shm: a second server on the same name is refused; a stale one left by SIGKILL is replaced", async () => {
  const name = freshName();
  const first = await startServer("shm:server", endpointArgs(name));
  try {
    const second = await startServer("shm:server", endpointArgs(name)).then(
      () => assert.fail("a second server started"),
      (error: Error) => error.message,
    );
    assert.match(second, /exited with code 1/);
    assert.match(
      second,
      new RegExp(`/dev/shm/${name} is in use by the server with pid ${first.ready.pid}`),
    );
    const run = await client(name, "--frames", "5");
    assert.equal(run.code, 0, run.stderr);
  } finally {
    await first.stop("SIGKILL");
  }
  assert.deepEqual(entries(name), [name], "SIGKILL leaves the doorway");
  // ... and, had a zmq client been served, the socket file: a stand-in.
  await Deno.writeFile(`/tmp/${name}.sock`, new Uint8Array());
  const next = await startServer("shm:server", endpointArgs(name));
  try {
    const run = await client(name, "--frames", "5");
    assert.equal(run.code, 0, run.stderr);
  } finally {
    const stop = await next.stop();
    assert.match(
      stop.stderr,
      new RegExp(`replaced the stale segment /dev/shm/${name} left by pid`),
    );
    assert.deepEqual(entries(name), []);
  }
});

Deno.test("shm: a segment of another layout is refused with a clear error, never reused", async () => {
  const name = freshName();
  // Not framebench's at all, then framebench's doorways of the previous and of a future layout.
  const foreign = new Uint8Array(PAGE_BYTES).fill(7);
  const doorwayOf = (version: number) => {
    const bytes = new Uint8Array(PAGE_BYTES);
    const view = new DataView(bytes.buffer);
    view.setUint32(PREAMBLE.magic, SEGMENT_MAGIC, true);
    view.setUint16(PREAMBLE.version, version, true);
    view.setUint16(PREAMBLE.kind, SegmentKind.doorway, true);
    return bytes;
  };
  try {
    for (
      const [bytes, message] of [
        [foreign, /is not a framebench segment/],
        [doorwayOf(1), /has layout version 1, this framebench reads version 2/],
        [doorwayOf(99), /has layout version 99, this framebench reads version 2/],
      ] as const
    ) {
      const forged = platform.create(name, bytes.byteLength)!;
      new Uint8Array(forged.buffer).set(bytes);
      forged.close();
      const server = await startServer("shm:server", endpointArgs(name)).then(
        () => assert.fail("the server took the segment"),
        (error: Error) => error.message,
      );
      assert.match(server, message);
      assert.match(server, /remove it or choose another --endpoint/);
      const run = await client(name, "--timeout", "1");
      assert.equal(run.code, 1);
      assert.match(run.record!.reason!, message);
      const left = platform.open(name)!;
      assert.deepEqual(new Uint8Array(left.buffer), bytes, "left as it was");
      left.close();
      platform.unlink(name);
    }
  } finally {
    platform.unlink(name);
  }
});

Deno.test("shm: bad flags exit with code 2 and one line", async () => {
  await assertUsageErrors(`
    shm:server --bogus
    shm:server --endpoint shm://a/b
    shm:server --name framebench-shm
    shm:client --slots 0
    shm:client --slots 33
    shm:client --variant tcp
    shm:client --endpoint shm://
    shm:client --endpoint ipc:///tmp/framebench-shm.sock
  `);
});
