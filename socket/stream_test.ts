// The stream mode of the socket transport, over unix sockets and TCP: the
// suite every transport's stream mode passes (testing/stream_suite.ts).
import { freePort } from "../testing/processes.ts";
import { streamSuite } from "../testing/stream_suite.ts";

const dir = Deno.makeTempDirSync({ prefix: "framebench-socket-stream-" });
let n = 0;

streamSuite({
  transport: "socket unix",
  publisher: "socket:pub",
  subscriber: "socket:sub",
  overflow: ["block", "drop"],
  endpoint() {
    const path = `${dir}/stream-${n++}.sock`;
    return Promise.resolve({ url: `unix://${path}`, leftover: path });
  },
});

streamSuite({
  transport: "socket tcp",
  publisher: "socket:pub",
  subscriber: "socket:sub",
  overflow: ["block", "drop"],
  endpoint: () => Promise.resolve({ url: `tcp://127.0.0.1:${freePort()}` }),
});

globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
