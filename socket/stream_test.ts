// The stream mode of the socket transport, over unix sockets and TCP: the
// suite every transport's stream mode passes (testing/stream_suite.ts).
import { socketStreamSuites } from "../testing/stream_suite.ts";

socketStreamSuites({ transport: "socket", overflow: ["block", "drop"], schemes: ["unix", "tcp"] });
