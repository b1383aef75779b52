#!/usr/bin/env -S deno run --allow-net --allow-read --allow-run --allow-env
/**
 * The ceiling under the gRPC transport: Deno's `node:http2` alone, without
 * gRPC, echoing frame-sized request bodies between two processes (this script
 * starts itself as the server). What it measures is what grpc-js is built on,
 * so the gRPC figures can be read against it (see README.md, "Speed").
 *
 *     deno task grpc:http2-probe [--size 1080p] [--seconds 3] [--in-flight 1] [--window 67108864]
 *
 * Each request is a POST whose body is one frame; the server writes every
 * chunk back as it comes. Prints one line: requests per second ("fps").
 *
 * @module
 */

import { Buffer } from "node:buffer";
import http2 from "node:http2";
import { runMain } from "../common/cli.ts";
import { type CommandSpec, numberFlag, parseServerFlags, usage } from "../common/flags.ts";
import { parseSize } from "../common/frame.ts";
import { FLOW_CONTROL_WINDOW_BYTES, parseWindow } from "./channel_options.ts";

const COMMAND: CommandSpec = {
  name: "grpc:http2-probe",
  summary: "Echoes frame-sized bodies over Deno's node:http2 alone: the ceiling under gRPC.",
  flags: {
    size: { type: "string", default: "1080p", description: "frame size" },
    seconds: {
      type: "string",
      default: "3",
      description: "seconds measured after 5 warm-up frames",
    },
    "in-flight": { type: "string", default: "1", description: "requests outstanding" },
    window: {
      type: "string",
      default: String(FLOW_CONTROL_WINDOW_BYTES),
      description: "HTTP/2 flow-control window of both sides, bytes",
    },
    serve: { type: "string", description: "(internal) be the server on this port" },
  },
};

/** Runs the echo server on `port` until the process is killed; prints "ready". */
function serve(port: number, window: number): Promise<never> {
  const server = http2.createServer({ settings: { initialWindowSize: window } });
  server.on("session", (session) => session.setLocalWindowSize(window));
  server.on("stream", (stream: http2.ServerHttp2Stream) => {
    stream.respond({ ":status": 200 });
    stream.on("data", (chunk: Buffer) => {
      if (!stream.write(chunk)) {
        stream.pause();
        stream.once("drain", () => stream.resume());
      }
    });
    stream.on("end", () => stream.end());
  });
  server.listen(port, "127.0.0.1", () => console.log("ready"));
  return new Promise<never>(() => {}); // until the client kills this process
}

/** Measures echoes per second against the server on `port`. */
async function probe(
  port: number,
  frameBytes: number,
  seconds: number,
  inFlight: number,
  window: number,
) {
  const body = Buffer.alloc(frameBytes, 7);
  const client = http2.connect(`http://127.0.0.1:${port}`, {
    settings: { initialWindowSize: window },
  });
  client.on("connect", () => client.setLocalWindowSize(window));
  const echo = () =>
    new Promise<void>((resolve, reject) => {
      const request = client.request({ ":method": "POST", ":path": "/" });
      let bytes = 0;
      request.on("data", (chunk: Buffer) => bytes += chunk.byteLength);
      request.on("end", () =>
        bytes === frameBytes ? resolve() : reject(new Error(`${bytes} bytes back`)));
      request.on("error", reject);
      request.end(body);
    });
  for (let i = 0; i < 5; i++) await echo();
  const start = performance.now();
  let done = 0;
  const worker = async () => {
    while (performance.now() - start < seconds * 1000) {
      await echo();
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const fps = done / ((performance.now() - start) / 1000);
  client.destroy();
  return fps;
}

if (import.meta.main) {
  runMain(COMMAND.name, async (args) => {
    const { help, flags } = parseServerFlags(args, COMMAND);
    if (help) return console.log(usage(COMMAND, {}));
    const window = parseWindow(flags.window);
    if (flags.serve !== undefined) {
      return serve(numberFlag("serve", flags.serve, { integer: true }), window);
    }
    const geometry = parseSize(flags.size as string);
    const seconds = numberFlag("seconds", flags.seconds);
    const inFlight = numberFlag("in-flight", flags["in-flight"], { integer: true });
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const server = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...permissions(),
        import.meta.filename!,
        "--serve",
        String(port),
        "--window",
        String(window),
      ],
      stdout: "piped",
      stderr: "inherit",
      stdin: "null",
    }).spawn();
    try {
      const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const first = await reader.read();
      if (!first.value?.includes("ready")) throw new Error("the probe's server did not start");
      reader.releaseLock();
      const fps = await probe(port, geometry.frameBytes, seconds, inFlight, window);
      console.log(
        `node:http2 echo ${geometry.width}x${geometry.height}, ${inFlight} in flight, window ${window}: ${
          fps.toFixed(1)
        } fps`,
      );
    } finally {
      server.kill("SIGKILL");
      await server.status;
    }
  });
}

/** The permissions the server child needs. */
function permissions(): string[] {
  return ["--allow-net", "--allow-read", "--allow-env"];
}
