// A stranger's subscriber: testdata/readme_stream_peer.py, a standard-library
// Python subscriber written from README.md's "Stream mode" alone, against the
// real publisher beside a Deno subscriber.
import assert from "node:assert/strict";
import { python, pythonMissing } from "../testing/python.ts";
import { listNames, ROOT, runClient, startServer } from "../testing/processes.ts";
import { publisherRecord, subscriberRecord } from "../testing/stream_suite.ts";

const PEER = `${ROOT}shm/testdata/readme_stream_peer.py`;
const missing = await pythonMissing();
if (missing) console.error(`readme stream peer test skipped: ${missing}`);

Deno.test({
  name: "readme stream peer: a Python subscriber written from README.md counts every frame",
  ignore: missing !== undefined,
}, async () => {
  const name = `fbreadmestream-${Deno.pid}`;
  const url = `shm://${name}`;
  const publisher = await startServer("shm:pub", [
    ...["--endpoint", url, "--size", "480p", "--json", "--fps", "30", "--seconds", "2"],
    ...["--subscribers", "2", "--overflow", "block"],
  ]);
  const [peer, deno] = await Promise.all([
    python([PEER, "--name", name]),
    runClient("shm:sub", ["--endpoint", url, "--size", "480p", "--warmup", "0"]),
  ]);
  const p = await publisherRecord(publisher);
  assert.equal(p.status, "ok", p.reason ?? "");
  assert.equal(p.subscribers, 2, "the Python peer took a place");
  assert.equal(peer.code, 0, peer.stderr);
  const py = JSON.parse(peer.stdout);
  assert.equal(py.published, p.published);
  assert.equal(py.errors, 0);
  // Under block every subscriber gets every frame from the one it joined at.
  assert.equal(py.dropped, 0);
  assert(py.frames > 0 && py.frames <= p.published, JSON.stringify(py));
  assert.equal(deno.code, 0, deno.stderr);
  assert.equal(subscriberRecord(deno).errors, 0);
  assert.deepEqual(listNames("/dev/shm").filter((n) => n.startsWith(name)), []);
});
