#!/usr/bin/env -S deno run --allow-run=/usr/bin/python3 --allow-read --allow-write
/**
 * Starts the Python reference (./python_server.py or ./python_client.py, on
 * Debian's python3-grpcio, gRPC's C core) as a framebench task: it generates
 * the `frames_pb2*.py` modules from ../proto/frames.proto into a temporary
 * folder with `grpc_tools.protoc` (nothing generated is committed), runs the
 * script with its arguments, passes SIGINT and SIGTERM on to it, removes the
 * folder, and exits with the script's exit code.
 *
 *     deno task grpc:python-server [--endpoint tcp://127.0.0.1:50051 | unix:///PATH] [--max-bytes N]
 *     deno task grpc:python-client [--variant unary|stream] [--endpoint URL] [--json]
 *
 * `--endpoint` is read here as by every server and client
 * (../common/endpoint.ts): a bad one is one line and exit code 2; the script
 * gets it in its canonical form (a unix path made absolute).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { runMain, SHUTDOWN_SIGNALS } from "../common/cli.ts";
import { parseEndpoint } from "../common/endpoint.ts";
import { ENDPOINT_KINDS } from "./endpoint.ts";

/** Debian's Python, which has the grpcio packages (a python3 earlier on PATH may not). */
export const PYTHON = "/usr/bin/python3";

/** What to install when {@linkcode PYTHON} lacks grpcio. */
export const PYTHON_HINT = "apt-get install python3-grpcio python3-grpc-tools";

const SCRIPTS = { server: "python_server.py", client: "python_client.py" } as const;

/**
 * Undefined when {@linkcode PYTHON} can import `grpc` and `grpc_tools`; else
 * one line saying what is missing and how to get it.
 */
export function pythonGrpcMissing(): string | undefined {
  try {
    const { success } = new Deno.Command(PYTHON, {
      args: ["-c", "import grpc, grpc_tools"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).outputSync();
    if (success) return undefined;
  } catch { /* no such program */ }
  return `needs ${PYTHON} with grpcio and grpc_tools (${PYTHON_HINT})`;
}

/**
 * `args` with the value of `--endpoint` (or `--endpoint=URL`) in its
 * canonical form; throws a usage error for a bad one.
 */
export function canonicalEndpointArgs(args: readonly string[]): string[] {
  return args.flatMap((arg, i) => {
    const inline = /^--endpoint=(.*)$/.exec(arg);
    if (inline) return ["--endpoint", parseEndpoint(inline[1], ENDPOINT_KINDS).url];
    if (args[i - 1] === "--endpoint") return [parseEndpoint(arg, ENDPOINT_KINDS).url];
    return [arg];
  });
}

/** Generates frames_pb2.py and frames_pb2_grpc.py into `out`; throws with protoc's error. */
export async function generatePythonModules(out: string): Promise<void> {
  const proto = fileURLToPath(new URL("../proto/", import.meta.url));
  const output = await new Deno.Command(PYTHON, {
    args: [
      "-m",
      "grpc_tools.protoc",
      "-I",
      proto,
      `--python_out=${out}`,
      `--grpc_python_out=${out}`,
      "frames.proto",
    ],
    stdin: "null",
  }).output();
  if (!output.success) {
    throw new Error(`grpc_tools.protoc failed: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
}

if (import.meta.main) {
  const [role, ...rest] = Deno.args;
  const name = `grpc:python-${role}`;
  runMain(name, async () => {
    if (role !== "server" && role !== "client") {
      throw new Error(`the first argument must be server or client, got "${role}"`);
    }
    const scriptArgs = canonicalEndpointArgs(rest);
    const missing = pythonGrpcMissing();
    if (missing) throw new Error(missing);
    const out = await Deno.makeTempDir({ prefix: "framebench-grpc-python-" });
    try {
      await generatePythonModules(out);
      const script = fileURLToPath(new URL(SCRIPTS[role], import.meta.url));
      const child = new Deno.Command(PYTHON, {
        args: [script, ...scriptArgs],
        env: { PYTHONPATH: out, PYTHONDONTWRITEBYTECODE: "1" },
        stdin: "null",
      }).spawn();
      // The script stops cleanly on either signal (a terminal's Ctrl-C reaches it too).
      const forward = (signal: Deno.Signal) => () => {
        try {
          child.kill(signal);
        } catch { /* gone */ }
      };
      const handlers = SHUTDOWN_SIGNALS.map((s) => [s, forward(s)] as const);
      for (const [s, h] of handlers) Deno.addSignalListener(s, h);
      const status = await child.status;
      for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
      return status.signal ? 128 + (status.signal === "SIGINT" ? 2 : 15) : status.code;
    } finally {
      await Deno.remove(out, { recursive: true }).catch(() => {});
    }
  });
}
