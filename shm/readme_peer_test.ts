// A stranger's peer: testdata/readme_peer.py, a standard-library Python client
// written from README.md alone, against the real server, posting frames of
// random bytes; and a peer of the previous layout version, refused in one line.
import assert from "node:assert/strict";
import { python, pythonMissing, type PythonRun } from "../testing/python.ts";
import { ROOT, startServer } from "../testing/processes.ts";
import { parseSize } from "../common/frame.ts";
import { requestRing, ringName } from "./doorway.ts";
import {
  ClientState,
  PAGE_BYTES,
  PREAMBLE,
  ringBytes,
  ringLayout,
  writeRingHeader,
} from "./layout.ts";
import { sharedMemoryPlatform } from "./platform.ts";
import { Ring } from "./ring.ts";
import { endpointArgs, entries, freshName as freshNameOf } from "./test_segments.ts";

const PEER = `${ROOT}shm/testdata/readme_peer.py`;
const missing = await pythonMissing();
if (missing) console.error(`readme peer tests skipped: ${missing}`);
const hasPython = missing === undefined;
const freshName = () => freshNameOf("fbreadme");

function readmePeer(args: string[]): Promise<PythonRun> {
  return python([PEER, ...args]);
}

Deno.test({
  name: "readme peer: random frames from a client written from README.md are all served ok",
  ignore: !hasPython,
}, async () => {
  const name = freshName();
  const server = await startServer("shm:server", endpointArgs(name));
  try {
    const run = await readmePeer([
      ...endpointArgs(name),
      ...["--size", "320x240", "--slots", "3", "--frames", "60"],
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { frames: 60, ok: 60 });
    assert.deepEqual(entries(name), [name], "no ring left by name");
  } finally {
    const stop = await server.stop();
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stopped?.frames, 60, stop.stdout);
    assert.equal(stop.stopped?.refused, 0, stop.stderr);
    assert.equal(stop.stderr, "", "the client closed its ring: nothing to say");
    assert.deepEqual(entries(name), []);
  }
});

Deno.test({
  name: "readme peer: with --expect-source the server refuses random frames as corrupt",
  ignore: !hasPython,
}, async () => {
  const name = freshName();
  const server = await startServer("shm:server", [...endpointArgs(name), "--expect-source"]);
  try {
    const run = await readmePeer([...endpointArgs(name), "--size", "64x48", "--frames", "5"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^readme_peer: post 0: state 4, seq 0, verdict 3\n$/);
  } finally {
    const stop = await server.stop();
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stopped?.frames, 0);
    assert.equal(stop.stopped?.refused, 1);
    assert.match(stop.stderr, /bytes differ from offset 8/);
    assert.deepEqual(entries(name), []);
  }
});

Deno.test("readme peer: a ring of layout version 1 is refused in one line naming both versions", async () => {
  const name = freshName();
  const server = await startServer("shm:server", endpointArgs(name));
  const platform = await sharedMemoryPlatform();
  const own = ringName(name, Deno.pid);
  const layout = ringLayout(parseSize("64x48"), 2);
  const segment = platform.create(own, ringBytes(layout))!;
  try {
    // A client of the previous layout: its header says version 1.
    const header = new Uint8Array(segment.buffer, 0, PAGE_BYTES);
    writeRingHeader(header, layout, Deno.pid);
    new DataView(segment.buffer).setUint16(PREAMBLE.version, 1, true);
    assert.ok(segment.tryLock());
    new Ring(segment, layout).clientState = ClientState.open;
    const refusal = await requestRing(platform, name, Deno.pid, { timeoutMs: 5000 }).then(
      () => assert.fail("the server took a version 1 ring"),
      (error: Error) => error.message,
    );
    assert.equal(
      refusal,
      `the server refused the ring: /dev/shm/${own} has layout version 1, this framebench reads version 2`,
    );
  } finally {
    segment.close();
    platform.unlink(own);
    const stop = await server.stop();
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(
      stop.stderr.trim(),
      `shm:server: refused the ring of client pid ${Deno.pid}: /dev/shm/${own} has layout version 1, this framebench reads version 2`,
    );
    assert.deepEqual(entries(name), []);
  }
});
