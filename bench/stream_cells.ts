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
  /** The publisher: what to launch and its arguments (the runner adds size, rate, time, --json). */
  publisher: { launch: Launch; args: string[] };
  /** A subscriber: what to launch and its arguments (the runner adds size, --json). */
  subscriber: { launch: Launch; args: string[] };
  /** What the publisher can do with a slow subscriber, its default first. */
  overflow: readonly Overflow[];
  /** The one-way test of the limits program this design is judged against, if any. */
  limit?: string;
  /** What the cell needs that this machine lacks, one line, or undefined. Default: nothing. */
  missing?: () => string | undefined;
}

const SOCKET_UNIX = `unix:///tmp/${RUN_TAG}-socket-stream.sock`;
const SOCKET_TCP = `tcp://127.0.0.1:${runPort(6)}`;

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
    publisher: { launch: "socket:pub", args: ["--endpoint", SOCKET_TCP] },
    subscriber: { launch: "socket:sub", args: ["--endpoint", SOCKET_TCP] },
    overflow: ["block", "drop"],
    limit: "stream_tcp",
  },
];
