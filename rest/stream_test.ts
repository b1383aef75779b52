// The stream mode of the REST transport, over TCP and unix sockets: the suite
// every transport's stream mode passes (testing/stream_suite.ts).
import { freePort } from "../testing/processes.ts";
import { streamSuite } from "../testing/stream_suite.ts";

const dir = Deno.makeTempDirSync({ prefix: "framebench-rest-stream-" });
let n = 0;

streamSuite({
  transport: "rest http",
  publisher: "rest:pub",
  subscriber: "rest:sub",
  overflow: ["block", "drop"],
  endpoint: () => Promise.resolve({ url: `http://127.0.0.1:${freePort()}` }),
});

streamSuite({
  transport: "rest unix",
  publisher: "rest:pub",
  subscriber: "rest:sub",
  overflow: ["block", "drop"],
  endpoint() {
    const path = `${dir}/stream-${n++}.sock`;
    return Promise.resolve({ url: `unix://${path}`, leftover: path });
  },
});

globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
