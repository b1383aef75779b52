// The schema outside Deno: a Python client generated from proto/frames.proto
// alone (grpc_tools.protoc, Debian's python3-grpc-tools) against the Deno
// server, over TCP and a unix socket.
import assert from "node:assert/strict";
import { freePort, runClient, startServer } from "../testing/processes.ts";
import { python as run, pythonMissing } from "../testing/python.ts";
import { IMPLS } from "./impl.ts";
import { runFrames, tcpArgs, unixArgs } from "./test_runs.ts";

const missing = await pythonMissing({
  grpc: "python3-grpcio",
  grpc_tools: "python3-grpc-tools",
});
const hasGrpcTools = missing === undefined;

const NEEDS = hasGrpcTools ? "" : ` (${missing})`;

for (const impl of IMPLS) {
  Deno.test({
    name:
      `grpc interop (${impl}): a Python client made from proto/frames.proto alone gets every frame back${NEEDS}`,
    ignore: !hasGrpcTools,
    async fn() {
      const out = await Deno.makeTempDir();
      try {
        const generated = await run([
          "-m",
          "grpc_tools.protoc",
          "-I",
          "proto",
          `--python_out=${out}`,
          `--grpc_python_out=${out}`,
          "frames.proto",
        ]);
        assert.equal(generated.code, 0, generated.stderr);
        const port = String(freePort());
        const path = `${out}/echo.sock`;
        const endpoints: [string[], string][] = [
          [tcpArgs(port), `127.0.0.1:${port}`],
          [unixArgs(path), `unix://${path}`],
        ];
        for (const [args, target] of endpoints) {
          const server = await startServer("grpc:server", ["--impl", impl, ...args]);
          try {
            const client = await run(["grpc/interop_client.py", target], { PYTHONPATH: out });
            assert.equal(client.code, 0, client.stdout + client.stderr);
            assert.deepEqual(JSON.parse(client.stdout), {
              unary: 5,
              stream: 5,
              chunked: 10,
              refused: ["INVALID_ARGUMENT", "pixels are 100 bytes, the frame needs 9216"],
            });
          } finally {
            const stop = await server.stop();
            assert.equal(stop.code, 0, stop.stderr);
            assert.deepEqual([stop.stopped?.frames, stop.stopped?.refused], [11, 1]);
          }
        }
      } finally {
        await Deno.remove(out, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: `grpc interop: the Deno clients (lean and js) against the Python grpcio server${NEEDS}`,
  ignore: !hasGrpcTools,
  async fn() {
    const port = String(freePort());
    const limit = 640 * 480 * 3;
    const server = await startServer("grpc:python-server", [
      ...tcpArgs(port),
      "--max-bytes",
      String(limit),
    ]);
    try {
      assert.equal(server.ready.endpoint, `tcp://127.0.0.1:${port}`);
      for (const impl of IMPLS) {
        for (const variant of ["unary", "stream"]) {
          const args = ["--impl", impl, ...tcpArgs(port)];
          const run = await runFrames("grpc:client", args, variant, 20);
          assert.equal(run.code, 0, `${args} ${variant}: ${run.stderr}`);
          assert.deepEqual([run.record?.status, run.record?.errors], ["ok", 0]);
          assert.ok(run.record!.verified >= 20);
          // A frame one byte over the server's limit is refused by grpcio (the
          // whole message is over its max_receive_message_length + 64) or by
          // the servicer's exact check: either way RESOURCE_EXHAUSTED, counted.
          const big = await runClient("grpc:client", [
            ...args,
            "--size",
            "641x480",
            "--warmup",
            "0",
            "--variant",
            variant,
            "--frames",
            "3",
            "--seconds",
            "1",
          ]);
          assert.equal(big.code, 1, big.stderr);
          assert.equal(big.record?.errorKinds.refused, big.record?.errors, big.stdout);
          assert.match(big.record?.firstError ?? "", /refused: RESOURCE_EXHAUSTED/);
        }
      }
    } finally {
      const stop = await server.stop();
      assert.equal(stop.code, 0, stop.stderr);
      assert.ok(stop.stopped && stop.stopped.frames >= 80, stop.stdout);
    }
  },
});

for (const impl of IMPLS) {
  Deno.test({
    name:
      `grpc interop (${impl}): the Python grpcio reference client verifies every frame from the Deno server${NEEDS}`,
    ignore: !hasGrpcTools,
    async fn() {
      const port = String(freePort());
      const server = await startServer("grpc:server", ["--impl", impl, ...tcpArgs(port)]);
      try {
        for (const variant of ["unary", "stream"]) {
          const run = await runFrames("grpc:python-client", tcpArgs(port), variant, 20);
          assert.equal(run.code, 0, run.stderr);
          const r = run.record!;
          assert.deepEqual(
            [r.status, r.transport, r.variant, r.endpoint, r.frames, r.errors],
            ["ok", "grpc", variant, `tcp://127.0.0.1:${port}`, 20, 0],
          );
          assert.ok(r.verified >= 20 && r.fps > 0);
          assert.match(r.runtime.packages.grpcio, /^\d+\.\d+/);
        }
      } finally {
        const stop = await server.stop();
        assert.equal(stop.code, 0, stop.stderr);
        assert.equal(stop.stopped?.refused, 0);
      }
    },
  });
}
