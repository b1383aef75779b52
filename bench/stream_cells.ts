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
const ZMQ_IPC = `ipc:///tmp/${RUN_TAG}-zmq-stream.sock`;
const SHM = `shm://${RUN_TAG}-shm-stream`;

/** The publisher and the subscribers of `transport` at one endpoint URL. */
function publisherAndSubscriber(
  transport: string,
  endpoint: string,
  publisherArgs: readonly string[] = [],
): Pick<StreamCell, "publisher" | "subscriber"> {
  return {
    publisher: { launch: `${transport}:pub`, args: ["--endpoint", endpoint, ...publisherArgs] },
    subscriber: { launch: `${transport}:sub`, args: ["--endpoint", endpoint] },
  };
}

/**
 * A stream cell over TCP, on loopback at run port `k`; {@linkcode StreamCell.tcp}
 * moves it to another address (a shaped link).
 */
function tcpCell(
  cell: Omit<StreamCell, "publisher" | "subscriber" | "tcp" | "limit">,
  k: number,
): StreamCell {
  const at = (host: string, port: number) =>
    publisherAndSubscriber(cell.transport, `tcp://${host}:${port}`);
  const port = runPort(k);
  return { ...cell, limit: "stream_tcp", ...at("127.0.0.1", port), tcp: { port, at } };
}

/** Every stream cell, in report order. */
export const STREAM_CELLS: readonly StreamCell[] = [
  {
    name: "socket unix",
    transport: "socket",
    description: "one unix stream socket per subscriber, every frame written to each",
    ...publisherAndSubscriber("socket", SOCKET_UNIX),
    overflow: ["block", "drop"],
    limit: "stream_unix",
  },
  tcpCell({
    name: "socket tcp",
    transport: "socket",
    description: "one TCP loopback connection per subscriber, every frame written to each",
    overflow: ["block", "drop"],
  }, 6),
  {
    name: "zmq ipc",
    transport: "zmq",
    description:
      "ZeroMQ PUB/SUB (XPUB counting subscribers), 4 frames queued per subscriber at most",
    ...publisherAndSubscriber("zmq", ZMQ_IPC),
    overflow: ["drop"],
    limit: "stream_unix",
  },
  tcpCell({
    name: "zmq tcp",
    transport: "zmq",
    description: "ZeroMQ PUB/SUB over TCP loopback",
    overflow: ["drop"],
  }, 7),
  {
    name: "shm",
    transport: "shm",
    description: "broadcast ring in /dev/shm, one copy into the slot, subscribers read in place",
    ...publisherAndSubscriber("shm", SHM),
    overflow: ["drop", "block"],
  },
  {
    name: "shm loan",
    transport: "shm",
    description: "broadcast ring, the publisher stamping each frame in its slot (--loan): no copy",
    ...publisherAndSubscriber("shm", SHM, ["--loan"]),
    overflow: ["drop", "block"],
  },
  tcpCell({
    name: "grpc",
    transport: "grpc",
    description:
      "gRPC server-streaming Subscribe call per subscriber, framebench's own HTTP/2, TCP loopback",
    overflow: ["block", "drop"],
  }, 8),
  tcpCell({
    name: "rest",
    transport: "rest",
    description:
      "one long HTTP response per subscriber, multipart/x-mixed-replace of raw frames, TCP loopback",
    overflow: ["block", "drop"],
  }, 9),
];
