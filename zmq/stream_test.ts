// The stream mode over ZeroMQ (PUB/SUB with its high-water mark), over ipc://
// and tcp://: the suite every transport's stream mode passes
// (testing/stream_suite.ts).
import { freePort } from "../testing/processes.ts";
import { streamSuite } from "../testing/stream_suite.ts";

const dir = Deno.makeTempDirSync({ prefix: "framebench-zmq-stream-" });
let n = 0;

streamSuite({
  transport: "zmq ipc",
  publisher: "zmq:pub",
  subscriber: "zmq:sub",
  overflow: ["drop"],
  endpoint() {
    const path = `${dir}/stream-${n++}.sock`;
    return Promise.resolve({ url: `ipc://${path}`, leftover: path });
  },
});

streamSuite({
  transport: "zmq tcp",
  publisher: "zmq:pub",
  subscriber: "zmq:sub",
  overflow: ["drop"],
  endpoint: () => Promise.resolve({ url: `tcp://127.0.0.1:${freePort()}` }),
});

globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
