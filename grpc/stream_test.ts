// The stream mode of the gRPC transport (a server-streaming Subscribe call on
// framebench's own HTTP/2), over TCP and unix sockets: the suite every
// transport's stream mode passes (testing/stream_suite.ts), then what is
// gRPC's own: back-pressure under block, a Python grpcio subscriber made from
// proto/frames.proto alone, and a publisher that resets the call or goes away.
import assert from "node:assert/strict";
import { parseEndpoint } from "../common/endpoint.ts";
import { parseSize } from "../common/frame.ts";
import { freePort, runClient, startServer } from "../testing/processes.ts";
import { python, pythonMissing } from "../testing/python.ts";
import { publisherRecord, socketStreamSuites, subscriberRecord } from "../testing/stream_suite.ts";
import { ErrorCode } from "./http2_frames.ts";
import { Http2Connection, type Http2Stream } from "./http2_connection.ts";
import { NO_EVENTS } from "./http2_stream.ts";
import { RESPONSE_HEADERS } from "./lean_server_call.ts";
import { subscribeGrpc } from "./subscriber.ts";

socketStreamSuites({ transport: "grpc", overflow: ["block", "drop"], schemes: ["tcp", "unix"] });

const SMALL = ["--size", "480p", "--json"];

Deno.test("grpc stream: under block a slow subscriber holds the publisher back, and gets every frame", async () => {
  const url = `tcp://127.0.0.1:${freePort()}`;
  const seconds = 3;
  const publisher = await startServer("grpc:pub", [
    ...["--endpoint", url, ...SMALL, "--timeout", "60"],
    ...["--fps", "30", "--seconds", String(seconds), "--subscribers", "1"],
  ]);
  const slow = await runClient("grpc:sub", ["--endpoint", url, "--size", "480p", "--slow", "100"]);
  const p = await publisherRecord(publisher);
  const s = subscriberRecord(slow);
  assert.equal(s.status, "ok", s.reason ?? "");
  assert.equal(s.errors, 0, s.firstError ?? "");
  assert.equal(s.dropped, 0);
  assert.equal(s.frames, p.published);
  // It takes at most 10 frames a second (100 ms of work each), and the
  // publisher gets at most its window and the frames it holds ahead of it
  // (about four): nowhere near the 90 that 30 fps would be.
  assert(p.published <= seconds * 10 + 8, `published ${p.published} in ${seconds} s`);
});

const missing = await pythonMissing({ grpc: "python3-grpcio", grpc_tools: "python3-grpc-tools" });

Deno.test({
  name:
    `grpc stream interop: a Python grpcio subscriber made from proto/frames.proto alone gets every frame and the end${
      missing ? ` (skipped: ${missing})` : ""
    }`,
  ignore: missing !== undefined,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "framebench-grpc-python-" });
    try {
      const generated = await python([
        ...["-m", "grpc_tools.protoc", "-I", "proto", `--python_out=${out}`],
        ...[`--grpc_python_out=${out}`, "frames.proto"],
      ]);
      assert.equal(generated.code, 0, generated.stderr);
      const port = freePort();
      const publisher = await startServer("grpc:pub", [
        ...["--endpoint", `tcp://127.0.0.1:${port}`, ...SMALL, "--timeout", "60"],
        ...["--fps", "30", "--seconds", "2", "--subscribers", "1"],
      ]);
      const run = await python(["grpc/interop_subscriber.py", `127.0.0.1:${port}`], {
        PYTHONPATH: out,
      });
      const p = await publisherRecord(publisher);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const seen = JSON.parse(run.stdout);
      assert.deepEqual(seen, {
        frames: p.published,
        first: 0,
        published: p.published,
        problems: [],
      });
      assert(p.published > 10, `published ${p.published}`);
      assert.equal(p.left, 0, p.stderr);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

/**
 * A peer that answers every call with response headers and then does `act`:
 * an HTTP/2 server that misbehaves as a publisher may, for the subscriber's
 * sake.
 */
function misbehaving(act: (c: Http2Connection, stream: Http2Stream) => void) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connections: Http2Connection[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const c: Http2Connection = new Http2Connection(conn, {
          role: "server",
          onStream(stream) {
            stream.events = NO_EVENTS;
            c.sendHeaders(stream, RESPONSE_HEADERS, false).catch(() => {});
            setTimeout(() => act(c, stream), 50);
          },
        });
        connections.push(c);
        c.start();
      }
    } catch { /* closed */ }
  })();
  return {
    url: `tcp://127.0.0.1:${listener.addr.port}`,
    async close() {
      listener.close();
      await accepting;
      for (const c of connections) c.close();
    },
  };
}

for (
  const [what, act, reason] of [
    [
      "resets the call (RST_STREAM)",
      (c: Http2Connection, s: Http2Stream) => c.resetStream(s, ErrorCode.INTERNAL_ERROR),
      /is gone: INTERNAL: stream reset by the peer \(INTERNAL_ERROR\)$/,
    ],
    [
      "says GOAWAY and closes",
      (c: Http2Connection) => c.goAway(ErrorCode.NO_ERROR, "shutting down", false),
      /is gone: UNAVAILABLE: /,
    ],
    [
      "closes the connection",
      (c: Http2Connection) => c.close(),
      /is gone: UNAVAILABLE: the connection was closed by the peer$/,
    ],
  ] as const
) {
  Deno.test(`grpc stream: a publisher that ${what} fails next() at once, in one line`, async () => {
    const peer = misbehaving(act);
    const subscription = await subscribeGrpc(
      parseEndpoint(peer.url, ["tcp"]),
      parseSize("480p"),
    );
    try {
      const started = performance.now();
      const error = await subscription.next().then(
        () => assert.fail("next() resolved"),
        (e: Error) => e,
      );
      assert.match(error.message, new RegExp(`^the publisher at ${peer.url} `));
      assert.match(error.message, reason);
      assert(!error.message.includes("\n"), error.message);
      // At once: not after a keep-alive or a --timeout of seconds.
      assert(performance.now() - started < 3000);
    } finally {
      subscription.close();
      await peer.close();
    }
  });
}
