// Real ZeroMQ servers and clients as processes, started from the same tasks a
// user runs (deno.json), over ipc:// and tcp://.
import assert from "node:assert/strict";
import { pathExists, runClient, startServer } from "../testing/processes.ts";
import { endpointInUseTest } from "../testing/endpoint_in_use.ts";
import { assertUsageErrors } from "../testing/usage_errors.ts";
import { assertServes, socketFileServesTest, tcpServesTest } from "../testing/serves.ts";
import { frameProperties } from "../testing/frame_properties.ts";
import { Context, Message, ZMQ } from "./libzmq.ts";

const SMALL = ["--size", "480p", "--warmup", "0"];

socketFileServesTest("zmq", "ipc", {
  check: (r) => assert.match(r.runtime.packages.libzmq, /^4\.\d+\.\d+$/),
});

tcpServesTest("zmq");

Deno.test("zmq: a client with no server fails within its timeout and says so in one line", async () => {
  const dir = await Deno.makeTempDir();
  const started = performance.now();
  const run = await runClient("zmq:client", [
    "--endpoint",
    `ipc://${dir}/none.sock`,
    ...SMALL,
    "--timeout",
    "1",
  ]);
  await Deno.remove(dir, { recursive: true });
  assert.ok(performance.now() - started < 15000);
  assert.equal(run.code, 1);
  assert.equal(run.record?.status, "failed");
  assert.match(run.record!.reason!, /no reply from ipc:\/\/.* within 1 s/);
});

endpointInUseTest("zmq", "ipc");

Deno.test("zmq: a stale socket file left by a killed server is replaced", async () => {
  const dir = await Deno.makeTempDir();
  const endpoint = `ipc://${dir}/stale.sock`;
  const killed = await startServer("zmq:server", ["--endpoint", endpoint]);
  await killed.stop("SIGKILL");
  assert.equal(await pathExists(`${dir}/stale.sock`), true, "SIGKILL leaves the file");
  const server = await startServer("zmq:server", ["--endpoint", endpoint]);
  try {
    await assertServes("zmq", endpoint, 5);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

/** The --max-bytes of {@linkcode limitedServer}: a 64x48 frame; libzmq's part limit is then 64 KiB. */
const MAX_BYTES = 64 * 48 * 3; // 9216

/** A zmq server at a socket file in a new folder, taking frames of {@linkcode MAX_BYTES} at most. */
async function limitedServer() {
  const dir = await Deno.makeTempDir();
  const endpoint = `ipc://${dir}/limited.sock`;
  const server = await startServer("zmq:server", [
    ...["--endpoint", endpoint, "--max-bytes", String(MAX_BYTES)],
  ]);
  return { dir, endpoint, server };
}

Deno.test("zmq: malformed and oversized requests are refused, the server goes on", async () => {
  const { dir, endpoint, server } = await limitedServer();
  const context = new Context();
  const decoder = new TextDecoder();
  try {
    const properties = frameProperties(64, 48);
    const cases: [Uint8Array[], RegExp][] = [
      [[new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n")], /expected 2 parts/],
      [[new Uint8Array(32), new Uint8Array(10)], /not the magic/],
      [[properties, new Uint8Array(100)], /pixels are 100 bytes, the properties say 9216/],
      [[properties.subarray(0, 8), new Uint8Array(9216)], /must be 32 bytes/],
    ];
    for (const [parts, reason] of cases) {
      const socket = context.socket(ZMQ.REQ);
      socket.connect(endpoint);
      assert.ok(socket.sendParts(parts.map((p) => Message.copyOf(p))));
      assert.ok(await socket.wait(5000), "the server answers");
      const reply = socket.receiveParts()!;
      assert.equal(reply.length, 1);
      assert.match(JSON.parse(decoder.decode(reply[0].bytes)).error, reason);
      for (const part of reply) part.close();
      socket.close();
    }
    // Over --max-bytes: libzmq drops the sender before buffering the frame.
    const big = await runClient("zmq:client", ["--endpoint", endpoint, ...SMALL, "--timeout", "1"]);
    assert.equal(big.record?.status, "failed");
    // A good client is still served.
    const run = await runClient("zmq:client", [
      "--endpoint",
      endpoint,
      "--size",
      "64x48",
      "--warmup",
      "0",
      "--frames",
      "10",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.record?.errors, 0);
  } finally {
    context.term();
    const stop = await server.stop();
    assert.equal(stop.code, 0);
    assert.equal(stop.stopped?.refused, 4);
    assert.equal(stop.stderr.trim().split("\n").filter((l) => l.includes("refused")).length, 4);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zmq: --max-bytes is exact (N echoed, N+1 refused with a reply and counted); a part over 4N is dropped unanswered", async () => {
  const { dir, endpoint, server } = await limitedServer();
  const context = new Context();
  const decoder = new TextDecoder();
  const properties = (width: number, height: number) => frameProperties(width, height, 7);
  /** Sends `parts` on a new REQ socket; the reply's parts, or undefined after `ms` of silence. */
  const exchange = async (parts: Uint8Array[], ms = 5000) => {
    const socket = context.socket(ZMQ.REQ);
    try {
      socket.connect(endpoint);
      assert.ok(socket.sendParts(parts.map((p) => Message.copyOf(p))));
      if (!await socket.wait(ms)) return undefined;
      const reply = socket.receiveParts()!;
      const copies = reply.map((p) => p.bytes.slice());
      for (const part of reply) part.close();
      return copies;
    } finally {
      socket.close();
    }
  };
  const over = (bytes: number) =>
    `pixels are ${bytes} bytes, over the server's --max-bytes of 9216`;
  try {
    // At the limit: echoed byte for byte.
    const pixels = crypto.getRandomValues(new Uint8Array(MAX_BYTES));
    const echo = await exchange([properties(64, 48), pixels]);
    assert.equal(echo?.length, 2);
    assert.deepEqual(echo![1], pixels);
    // One byte over (the limit is checked before the geometry), and a whole
    // 96x64 frame over it: the one-part JSON error.
    for (
      const [props, bytes] of [[properties(64, 48), MAX_BYTES + 1], [
        properties(96, 64),
        18432,
      ]] as const
    ) {
      const reply = await exchange([props, new Uint8Array(bytes)]);
      assert.equal(reply?.length, 1);
      assert.deepEqual(JSON.parse(decoder.decode(reply![0])), { error: over(bytes) });
    }
    // Over libzmq's part limit (64 KiB here): the connection is dropped before
    // the part is read, and no reply comes.
    assert.equal(
      await exchange([properties(160, 137), new Uint8Array(160 * 137 * 3)], 2000),
      undefined,
    );
    // The server goes on.
    const again = await exchange([properties(64, 48), pixels]);
    assert.deepEqual(again?.[1], pixels);
  } finally {
    context.term();
    const stop = await server.stop();
    assert.equal(stop.code, 0, stop.stderr);
    // The two refusals with a reply are counted and logged; the dropped part is neither.
    assert.deepEqual([stop.stopped?.frames, stop.stopped?.refused], [2, 2], stop.stderr);
    const lines = stop.stderr.trim().split("\n").filter((l) => l.includes("refused"));
    assert.deepEqual(lines, [
      `zmq:server: refused a message: ${over(MAX_BYTES + 1)}`,
      `zmq:server: refused a message: ${over(18432)}`,
    ]);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zmq: bad flags exit with code 2 and one line", async () => {
  await assertUsageErrors(`
    zmq:server --bogus
    zmq:server --endpoint http://x
    zmq:client --size huge
    zmq:client --endpoint nowhere
  `);
});
