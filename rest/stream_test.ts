// The stream mode of the REST transport, over TCP and unix sockets: the suite
// every transport's stream mode passes (testing/stream_suite.ts), then what
// is the REST transport's own: refusals, and its format read by Python.
import assert from "node:assert/strict";
import { freePort, runClient, startServer } from "../testing/processes.ts";
import { python } from "../testing/python.ts";
import { pythonTest } from "../testing/python_test_case.ts";
import {
  freshEndpoints,
  publisherRecord,
  socketStreamSuites,
  subscriberRecord,
} from "../testing/stream_suite.ts";

const READER = "rest/testdata/stream_reader.py";

socketStreamSuites({ transport: "rest", overflow: ["block", "drop"], schemes: ["http", "unix"] });

/** A raw HTTP/1.1 request to `port`; resolves with the first line of the answer. */
async function statusLine(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(request));
    const buffer = new Uint8Array(4096);
    let text = "";
    while (!text.includes("\r\n")) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    return text.split("\r\n")[0];
  } finally {
    conn.close();
  }
}

Deno.test("rest stream: a bad request gets one line and the publisher goes on serving", async () => {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const publisher = await startServer("rest:pub", [
    ...["--endpoint", url, "--size", "480p", "--fps", "30", "--json"],
  ]);
  try {
    const nope = await fetch(`${url}/nope`);
    assert.equal(nope.status, 404);
    assert.deepEqual(await nope.text(), '{"error":"no route /nope: GET /stream"}\n');
    const post = await fetch(`${url}/stream`, { method: "POST", body: "x" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET");
    assert.match(await post.text(), /^\{"error":"\/stream takes GET, not POST"\}\n$/);
    const long = `GET /${"a".repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    assert.equal(await statusLine(port, long), "HTTP/1.1 400 Bad Request");
    assert.equal(await statusLine(port, "garbage\r\n\r\n"), "HTTP/1.1 400 Bad Request");
    // Still serving: a subscriber gets verified frames.
    const run = await runClient("rest:sub", [
      ...["--endpoint", url, "--size", "480p", "--warmup", "0", "--seconds", "0.5"],
    ], { timeoutMs: 120_000 });
    assert.equal(run.code, 0, run.stderr);
    const s = subscriberRecord(run);
    assert(s.verified > 0 && s.errors === 0, run.stdout);
  } finally {
    const p = await publisherRecord(publisher, "SIGINT");
    assert.equal(p.code, 0, p.stderr);
    // One line each for the two refusals it answered itself.
    assert.equal(p.stderr.split("\n").filter((l) => l.includes("refused")).length, 2, p.stderr);
  }
});

const fresh = freshEndpoints("rest-python");

await pythonTest(
  "rest stream: a Python reader written from rest/README.md reads the whole stream",
  async () => {
    for (const { url } of [fresh("http"), fresh("unix")]) {
      const publisher = await startServer("rest:pub", [
        ...["--endpoint", url, "--size", "480p", "--fps", "30", "--seconds", "1"],
        ...["--subscribers", "1", "--timeout", "60", "--json"],
      ]);
      const run = await python([READER, url]);
      const p = await publisherRecord(publisher);
      assert.equal(run.code, 0, run.stderr);
      const read = JSON.parse(run.stdout);
      // --overflow block (the default): a reader keeping up misses nothing.
      assert.deepEqual(
        { ...read, latencyMs: undefined },
        {
          frames: p.published,
          published: p.published,
          first: 0,
          consecutive: true,
          sizes: ["640x480"],
          closing: "--framebench-frame--",
          latencyMs: undefined,
        },
      );
      // X-Published-At is on the clock Python's time.monotonic() reads.
      assert(read.latencyMs.min >= 0 && read.latencyMs.max < 10_000, run.stdout);
    }
  },
);
