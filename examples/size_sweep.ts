#!/usr/bin/env -S deno run --allow-run --allow-net --allow-read --allow-write --allow-env
/**
 * One transport swept over frame sizes, as a table: the socket transport's
 * own server started as a process, its client used as a library, each size
 * measured with the echo loop that verifies every frame.
 *
 *     deno run --allow-run --allow-net --allow-read --allow-write --allow-env \
 *       examples/size_sweep.ts [--sizes 480p,720p,1080p,4k] [--seconds 2]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseEndpoint, parseSize, runEcho } from "../common/mod.ts";
import { connectSocket } from "../socket/client.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "480p,720p,1080p,4k" },
    seconds: { type: "string", default: "2" },
  },
});
const sizes = values.sizes.split(",").map((size) => parseSize(size.trim()));
const endpoint = parseEndpoint(`unix:///tmp/framebench-sweep-${Deno.pid}.sock`, ["unix"]);

// The server, as `deno task socket:server` starts it; its ready line says it accepts.
const server = new Deno.Command(Deno.execPath(), {
  args: [
    ...["run", "--allow-net", "--allow-read", "--allow-write", "--allow-env"],
    ...[new URL("../socket/server.ts", import.meta.url).pathname, "--endpoint", endpoint.url],
  ],
  stdout: "piped",
}).spawn();
const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
let said = "";
while (!said.includes('"event":"ready"')) {
  const { value, done } = await lines.read();
  if (done) throw new Error("the socket server did not start");
  said += value;
}

try {
  console.log("size         MB/frame      fps     MB/s   p50 ms   p99 ms  verified  errors");
  for (const geometry of sizes) {
    const transport = await connectSocket({ endpoint, geometry });
    const r = await runEcho(transport, {
      transport: "socket",
      options: { geometry, seconds: Number(values.seconds), warmup: 0.5 },
      progress: () => {},
    });
    console.log(
      [
        `${r.width}x${r.height}`.padEnd(10),
        (r.frameBytes / 1e6).toFixed(2).padStart(10),
        r.fps.toFixed(1).padStart(8),
        r.mbPerS.toFixed(0).padStart(8),
        r.latencyMs.p50.toFixed(2).padStart(8),
        r.latencyMs.p99.toFixed(2).padStart(8),
        String(r.verified).padStart(9),
        String(r.errors).padStart(7),
      ].join(" "),
    );
  }
} finally {
  server.kill("SIGINT");
  await lines.cancel();
  await server.status;
}
