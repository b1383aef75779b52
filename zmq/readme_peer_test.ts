// zmq/README.md as a specification: a Python peer written from it alone
// (testdata/readme_peer.py, pyzmq) against the real server, over ipc and tcp.
import assert from "node:assert/strict";
import { freePort, startServer } from "../testing/processes.ts";
import { python, pythonMissing } from "../testing/python.ts";

const PEER = "zmq/testdata/readme_peer.py";
const missing = await pythonMissing({ zmq: "python3-zmq" });

Deno.test({
  name: "zmq: a Python peer written from zmq/README.md alone is served as it says" +
    (missing ? ` (skipped: ${missing})` : ""),
  ignore: missing !== undefined,
  async fn() {
    const maxBytes = 1920 * 1080 * 3;
    const dir = await Deno.makeTempDir();
    try {
      for (
        const endpoint of [`ipc://${dir}/peer-${Deno.pid}.sock`, `tcp://127.0.0.1:${freePort()}`]
      ) {
        const server = await startServer("zmq:server", [
          "--endpoint",
          endpoint,
          "--max-bytes",
          String(maxBytes),
        ]);
        let run;
        try {
          run = await python([PEER, endpoint, String(maxBytes)]);
        } finally {
          const stop = await server.stop();
          assert.equal(stop.code, 0, stop.stderr);
          // 4 frames + 1 after the errors + 1 on the new socket; 3 error replies
          // (the part over the part limit is neither served nor counted).
          if (run?.code === 0) {
            assert.deepEqual([stop.stopped?.frames, stop.stopped?.refused], [6, 3], stop.stderr);
          }
        }
        assert.equal(run.code, 0, `${endpoint}: ${run.stderr}`);
        assert.deepEqual(JSON.parse(run.stdout), {
          echoed: ["64x48", "0x0", "1920x1080", "64x48"],
          errors: [
            "pixels are 100 bytes, the properties say 9216",
            "frame properties start with 0x0, not the magic 0x31504246",
            `pixels are ${1920 * 1081 * 3} bytes, over the server's --max-bytes of ${maxBytes}`,
          ],
          dropped: 4 * maxBytes + 1,
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
