// rest/README.md as a specification: a standard-library Python peer written
// from it alone (testdata/readme_peer.py) against the real server.
import assert from "node:assert/strict";
import { startServer } from "../testing/processes.ts";
import { python } from "../testing/python.ts";
import { pythonTest } from "../testing/python_test_case.ts";

const PEER = "rest/testdata/readme_peer.py";

await pythonTest(
  "rest: a Python peer written from rest/README.md alone is served as it says",
  async () => {
    const maxBytes = 1920 * 1080 * 3;
    const server = await startServer("rest:server", [
      "--endpoint",
      "http://127.0.0.1:0",
      "--max-bytes",
      String(maxBytes),
    ]);
    let run;
    try {
      run = await python([PEER, server.ready.endpoint, String(maxBytes)]);
    } finally {
      const stop = await server.stop();
      assert.equal(stop.code, 0, stop.stderr);
      if (run?.code === 0) {
        // 8 frames (the multipart one counted at its download), 6 refusals.
        assert.deepEqual([stop.stopped?.frames, stop.stopped?.refused], [8, 6], stop.stderr);
      }
    }
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      echoed: [
        "raw 64x48",
        "raw 1920x1080",
        "raw 8x8",
        "/frames/base64",
        "/frames/base64?encoder=js",
        "/frames/hex",
        "multipart",
        "raw 64x48",
      ],
      refused: [
        "400 body is 100 bytes, the stated 64x48 rgb24 needs 9216",
        '400 unknown pixel format "1"',
        '415 content-type must be application/octet-stream, got "text/plain"',
        "405 /frames/raw takes POST, not GET",
        '404 no upload "1" (downloaded already?)',
        `413 body of ${maxBytes + 1} bytes is over the server's limit of ${maxBytes}`,
      ],
    });
  },
);
