// Real socket servers and clients as processes, started from the same tasks a
// user runs (deno.json), over unix sockets and TCP; and a stranger's bytes on
// the server's socket.
import assert from "node:assert/strict";
import { runClient, startServer, taskArgs } from "../testing/processes.ts";
import { PROPERTIES_BYTES } from "../common/properties.ts";
import { frameProperties } from "../testing/frame_properties.ts";
import { python, pythonMissing } from "../testing/python.ts";
import { endpointInUseTest } from "../testing/endpoint_in_use.ts";
import { socketFileServesTest, tcpServesTest } from "../testing/serves.ts";
import { decodeHead, HEAD_BYTES, readFull } from "./wire.ts";

const SMALL = ["--size", "480p", "--warmup", "0"];

socketFileServesTest("socket", "unix", { runs: [["--in-flight", "1"], ["--in-flight", "3"]] });

tcpServesTest("socket");

Deno.test("socket: a client with no server says so in one line, exit code 1", async () => {
  const dir = await Deno.makeTempDir();
  const run = await runClient("socket:client", [
    ...["--endpoint", `unix://${dir}/none.sock`, ...SMALL],
  ]);
  await Deno.remove(dir, { recursive: true });
  assert.equal(run.code, 1);
  assert.match(run.stderr.trim(), /^socket:client: nothing listens at unix:\/\/.*none\.sock/);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
});

endpointInUseTest("socket", "unix", { says: /in use by another server/ });

/** Sends `bytes` on a new connection and reads what comes back until the server closes it. */
async function exchange(path: string, bytes: Uint8Array): Promise<Uint8Array> {
  const conn = await Deno.connect({ transport: "unix", path });
  await conn.write(bytes).catch(() => 0);
  const back = await new Response(conn.readable).bytes().catch(() => new Uint8Array());
  return back;
}

function refusalText(reply: Uint8Array): string {
  const head = decodeHead(reply.subarray(0, HEAD_BYTES));
  assert.equal(head.kind, "refusal");
  return new TextDecoder().decode(reply.subarray(HEAD_BYTES));
}

Deno.test("socket: garbage, a huge frame and a frame cut short are refused; the server serves the next client", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/garbage.sock`;
  const server = await startServer("socket:server", [
    ...["--endpoint", `unix://${path}`, "--max-bytes", String(640 * 480 * 3)],
  ]);
  try {
    const http = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n" + " ".repeat(8));
    assert.match(refusalText(await exchange(path, http)), /not the magic/);
    const huge = frameProperties(8192, 8192);
    assert.match(
      refusalText(await exchange(path, huge)),
      /a frame of 201326592 pixel bytes, over the server's --max-bytes 921600/,
    );
    // A frame cut short: its properties, then 100 bytes, then the client goes.
    const cut = new Uint8Array(PROPERTIES_BYTES + 100);
    cut.set(frameProperties(64, 48));
    const conn = await Deno.connect({ transport: "unix", path });
    await conn.write(cut);
    conn.close();
    // An exact frame by hand: it comes back byte for byte.
    const frame = new Uint8Array(PROPERTIES_BYTES + 64 * 48 * 3);
    frame.set(cut.subarray(0, PROPERTIES_BYTES));
    crypto.getRandomValues(frame.subarray(PROPERTIES_BYTES));
    const good = await Deno.connect({ transport: "unix", path });
    await good.write(frame);
    const back = new Uint8Array(frame.byteLength);
    assert.ok(await readFull(good, back));
    good.close();
    assert.deepEqual(back, frame);
    const run = await runClient("socket:client", [
      "--endpoint",
      `unix://${path}`,
      ...SMALL,
      "--frames",
      "5",
    ]);
    assert.equal(run.code, 0, run.stderr);
  } finally {
    const stop = await server.stop();
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stopped?.refused, 3, stop.stderr);
    assert.match(stop.stderr, /a client left: the connection closed after 100 of 9216 bytes/);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("socket: bad flags exit with code 2 and one line", async () => {
  for (
    const [task, args, message] of [
      ["socket:client", ["--in-flight", "9"], /--in-flight must be 1 to 7/],
      ["socket:client", ["--endpoint", "ipc:///tmp/x"], /--endpoint must be unix:\/\/\/path/],
      ["socket:server", ["--endpoint", "tcp://127.0.0.1"], /expected HOST:PORT/],
      ["socket:server", ["--max-bytes", "lots"], /--max-bytes must be a whole number/],
    ] as const
  ) {
    // Not runClient: it adds --json, which the server does not take.
    const out = await new Deno.Command(Deno.execPath(), {
      args: [...taskArgs(task), ...args],
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, `${task} ${args.join(" ")}: ${stderr}`);
    assert.match(stderr, message);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
  }
});

Deno.test({
  name: "socket: the standard-library Python peer of socket/README.md gets its frame back",
  ignore: await pythonMissing() !== undefined,
  async fn() {
    const readme = await Deno.readTextFile(new URL("./README.md", import.meta.url));
    const peer = /```python\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(peer, "socket/README.md has a Python peer");
    const dir = await Deno.makeTempDir();
    const path = `${dir}/peer.sock`;
    const server = await startServer("socket:server", ["--endpoint", `unix://${path}`]);
    try {
      // The README's peer as it is written, pointed at this test's server.
      const code = peer.replaceAll("/tmp/framebench-socket.sock", path) + "\nprint('echoed')\n";
      const run = await python(["-c", code]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.trim(), "echoed");
    } finally {
      const stop = await server.stop();
      assert.equal(stop.stopped?.frames, 1, stop.stdout);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
