// The stream mode of the gRPC transport (a server-streaming Subscribe call on
// framebench's own HTTP/2), over TCP and unix sockets: the suite every
// transport's stream mode passes (testing/stream_suite.ts).
import { freePort } from "../testing/processes.ts";
import { streamSuite } from "../testing/stream_suite.ts";

const dir = Deno.makeTempDirSync({ prefix: "framebench-grpc-stream-" });
let n = 0;

streamSuite({
  transport: "grpc tcp",
  publisher: "grpc:pub",
  subscriber: "grpc:sub",
  overflow: ["block", "drop"],
  endpoint: () => Promise.resolve({ url: `tcp://127.0.0.1:${freePort()}` }),
});

streamSuite({
  transport: "grpc unix",
  publisher: "grpc:pub",
  subscriber: "grpc:sub",
  overflow: ["block", "drop"],
  endpoint() {
    const path = `${dir}/stream-${n++}.sock`;
    return Promise.resolve({ url: `unix://${path}`, leftover: path });
  },
});

globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
