// The stream mode over ZeroMQ (PUB/SUB with its high-water mark), over ipc://
// and tcp://: the suite every transport's stream mode passes
// (testing/stream_suite.ts).
import { socketStreamSuites } from "../testing/stream_suite.ts";

socketStreamSuites({ transport: "zmq", overflow: ["drop"], schemes: ["ipc", "tcp"] });
