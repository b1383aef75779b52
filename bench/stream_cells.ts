/**
 * What the runner measures in the stream mode: one cell per transport, each a
 * publisher and N subscribers started from the same deno.json tasks a user
 * runs by hand (`deno task socket:pub`, `deno task socket:sub`).
 *
 * @module
 */

import type { Overflow } from "../common/stream.ts";
import type { Launch } from "../testing/processes.ts";
import { RUN_TAG, runPort } from "./cells.ts";

/** One transport the runner measures in the stream mode. */
export interface StreamCell {
  /** Short unique name, also what `--only` matches (by its transport, before the space, or whole). */
  name: string;
  /** Transport name as the records give it. */
  transport: string;
  /** One line for the report on what is measured. */
  description: string;
  /** The publisher: what to launch, its arguments (the runner adds size, rate, time, --json), its network namespace. */
  publisher: { launch: Launch; args: string[]; netns?: string };
  /** A subscriber: what to launch, its arguments (the runner adds size, --json), its network namespace. */
  subscriber: { launch: Launch; args: string[]; netns?: string };
  /** For a TCP cell: its port, and the cell's publisher and subscriber at another address (link.ts). */
  tcp?: {
    port: number;
    at(host: string, port: number): Pick<StreamCell, "publisher" | "subscriber">;
  };
  /** The shaped link this cell runs across (link.ts). Default: none, loopback. */
  link?: { name: string; bitsPerSecond: number };
  /** What the publisher can do with a slow subscriber, its default first. */
  overflow: readonly Overflow[];
  /** The one-way test of the limits program this design is judged against, if any. */
  limit?: string;
  /** What the cell needs that this machine lacks, one line, or undefined. Default: nothing. */
  missing?: () => string | undefined;
}

const SOCKET_UNIX = `unix:///tmp/${RUN_TAG}-socket-stream.sock`;

/** The publisher and subscriber tasks of a TCP stream cell at `host:port`. */
function tcpAt(pub: string, sub: string) {
  return (host: string, port: number): Pick<StreamCell, "publisher" | "subscriber"> => {
    const args = ["--endpoint", `tcp://${host}:${port}`];
    return { publisher: { launch: pub, args }, subscriber: { launch: sub, args } };
  };
}

const socketTcp = tcpAt("socket:pub", "socket:sub");
const zmqTcp = tcpAt("zmq:pub", "zmq:sub");
const grpcTcp = tcpAt("grpc:pub", "grpc:sub");
const restTcp = tcpAt("rest:pub", "rest:sub");
const ZMQ_IPC = `ipc:///tmp/${RUN_TAG}-zmq-stream.sock`;
const SHM = `shm://${RUN_TAG}-shm-stream`;

/** Every stream cell, in report order. */
export const STREAM_CELLS: readonly StreamCell[] = [
  {
    name: "socket unix",
    transport: "socket",
    description: "one unix stream socket per subscriber, every frame written to each",
    publisher: { launch: "socket:pub", args: ["--endpoint", SOCKET_UNIX] },
    subscriber: { launch: "socket:sub", args: ["--endpoint", SOCKET_UNIX] },
    overflow: ["block", "drop"],
    limit: "stream_unix",
  },
  {
    name: "socket tcp",
    transport: "socket",
    description: "one TCP loopback connection per subscriber, every frame written to each",
    ...socketTcp("127.0.0.1", runPort(6)),
    tcp: { port: runPort(6), at: socketTcp },
    overflow: ["block", "drop"],
    limit: "stream_tcp",
  },
  {
    name: "zmq ipc",
    transport: "zmq",
    description:
      "ZeroMQ PUB/SUB (XPUB counting subscribers), 4 frames queued per subscriber at most",
    publisher: { launch: "zmq:pub", args: ["--endpoint", ZMQ_IPC] },
    subscriber: { launch: "zmq:sub", args: ["--endpoint", ZMQ_IPC] },
    overflow: ["drop"],
    limit: "stream_unix",
  },
  {
    name: "zmq tcp",
    transport: "zmq",
    description: "ZeroMQ PUB/SUB over TCP loopback",
    ...zmqTcp("127.0.0.1", runPort(7)),
    tcp: { port: runPort(7), at: zmqTcp },
    overflow: ["drop"],
    limit: "stream_tcp",
  },
  {
    name: "shm",
    transport: "shm",
    description: "broadcast ring in /dev/shm, one copy into the slot, subscribers read in place",
    publisher: { launch: "shm:pub", args: ["--endpoint", SHM] },
    subscriber: { launch: "shm:sub", args: ["--endpoint", SHM] },
    overflow: ["drop", "block"],
  },
  {
    name: "shm loan",
    transport: "shm",
    description: "broadcast ring, the publisher stamping each frame in its slot (--loan): no copy",
    publisher: { launch: "shm:pub", args: ["--endpoint", SHM, "--loan"] },
    subscriber: { launch: "shm:sub", args: ["--endpoint", SHM] },
    overflow: ["drop", "block"],
  },
  {
    name: "grpc",
    transport: "grpc",
    description:
      "gRPC server-streaming Subscribe call per subscriber, framebench's own HTTP/2, TCP loopback",
    ...grpcTcp("127.0.0.1", runPort(8)),
    tcp: { port: runPort(8), at: grpcTcp },
    overflow: ["block", "drop"],
    limit: "stream_tcp",
  },
  {
    name: "rest",
    transport: "rest",
    description:
      "one long HTTP response per subscriber, multipart/x-mixed-replace of raw frames, TCP loopback",
    ...restTcp("127.0.0.1", runPort(9)),
    tcp: { port: runPort(9), at: restTcp },
    overflow: ["block", "drop"],
    limit: "stream_tcp",
  },
];
