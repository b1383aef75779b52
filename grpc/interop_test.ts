// The schema outside Deno: a Python client generated from proto/frames.proto
// alone (grpc_tools.protoc, Debian's python3-grpc-tools) against the Deno
// server, over TCP and a unix socket.
import assert from "node:assert/strict";
import { freePort, ROOT, startServer } from "../testing/processes.ts";

/** Debian's Python, which has the grpcio packages (a python3 earlier on PATH may not). */
const PYTHON = "/usr/bin/python3";

async function run(args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(PYTHON, { args, env, cwd: ROOT, stdin: "null" }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

const hasGrpcTools = await run(["-c", "import grpc, grpc_tools"]).then(
  (r) => r.code === 0,
  () => false,
);

Deno.test({
  name: "grpc interop: a Python client made from proto/frames.proto alone gets every frame back" +
    (hasGrpcTools ? "" : " (needs python3-grpcio and python3-grpc-tools)"),
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
        [["--port", port], `127.0.0.1:${port}`],
        [["--unix", path], `unix://${path}`],
      ];
      for (const [args, target] of endpoints) {
        const server = await startServer("grpc:server", args);
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
