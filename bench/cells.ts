/**
 * What the runner measures: one cell per transport and variant, each a client
 * (and a server) started from the same deno.json tasks a user runs by hand.
 *
 * @module
 */

import { pythonGrpcMissing } from "../grpc/python_reference.ts";
import type { Launch } from "../testing/processes.ts";

/** One transport variant the runner measures. */
export interface Cell {
  /** Short unique name, also what `--only` matches (by its transport, before the space, or whole). */
  name: string;
  /** Transport name as the client records it. */
  transport: string;
  /** One line for the report on what is measured. */
  description: string;
  /**
   * The server to start first, if any: what to launch, its arguments, and the
   * network namespace to run it in (default: this process's).
   */
  server?: { launch: Launch; args: string[]; netns?: string };
  /**
   * The client: what to launch, its arguments (the runner adds the size, time
   * and --json), and the network namespace to run it in (default: this process's).
   */
  client: { launch: Launch; args: string[]; netns?: string };
  /**
   * A cell over TCP: its port, and its server and client for another host
   * (how each transport's flags name a TCP endpoint), so that it can be run
   * across a shaped link (link.ts) or against a server on another machine.
   * Default: not a TCP cell.
   */
  tcp?: { port: number; at(host: string, port: number): Pick<Cell, "server" | "client"> };
  /**
   * Where the server of this cell runs when on another machine (`HOST:PORT`,
   * `deno task serve` there; remote.ts): only the client runs here. Default:
   * none, both run here.
   */
  remote?: string;
  /** The shaped link this cell runs across (link.ts). Default: none, loopback. */
  link?: { name: string; bitsPerSecond: number };
  /**
   * The test of the limits program (`limits/limits.c`) that this design is
   * judged against: the same work done in C (see limits.ts), if any.
   */
  limit?: string;
  /**
   * The Python study's fps for the same design (1920x1080 echo), to put
   * beside ours scaled by each side's baseline; undefined when it had none.
   */
  study?: number;
  /**
   * A reference measured for comparison, not one of framebench's transports
   * (e.g. Python's grpcio): the fault tests and the soak leave it out.
   */
  reference?: boolean;
  /**
   * Says what the cell needs that this machine lacks, in one line with how to
   * get it, or undefined when it can run; the runner skips a cell that
   * cannot. Default: it can always run.
   */
  missing?: () => string | undefined;
}

/** The study's same-process baseline, fps at 1920x1080. */
export const STUDY_BASELINE_FPS = 105;

/**
 * The tag in the names of this process's servers: `framebench-bench-<pid>`.
 * The runner's endpoints are apart from the defaults that servers started by
 * hand take, and from those of another runner or test run on the same machine
 * (names carry the pid, ports are spread by it).
 */
export const RUN_TAG = `framebench-bench-${Deno.pid}`;
/**
 * Ten ports per process, from 10000 to 31999: below Linux's ephemeral range
 * (32768-60999), from which the system takes the local port of every
 * outgoing connection; a server port in it was now and then taken by one
 * ("Address already in use").
 */
const PORT_BASE = 10000 + (Deno.pid % 2200) * 10;

/** Port `k` (0 to 9) of this process's runs: 0-5 for the echo cells, 6-9 for the stream cells. */
export function runPort(k: number): number {
  if (!(k >= 0 && k < 10)) throw new RangeError(`run port ${k} is not 0 to 9`);
  return PORT_BASE + k;
}
const ZMQ_IPC = `ipc:///tmp/${RUN_TAG}-zmq.sock`;
const ZMQ_TCP_PORT = PORT_BASE;
const GRPC_PORT = PORT_BASE + 1;
const REST_PORT = PORT_BASE + 2;
const GRPC_JS_PORT = PORT_BASE + 3;
const GRPC_PYTHON_PORT = String(PORT_BASE + 4);
const SHM_ENDPOINT = `shm://${RUN_TAG}-shm`;
const SOCKET_UNIX = `unix:///tmp/${RUN_TAG}-socket.sock`;
const SOCKET_TCP_PORT = PORT_BASE + 5;

/** The server and the client of `transport` at one endpoint URL, each with its own further flags. */
function serverAndClient(
  transport: string,
  endpoint: string,
  serverArgs: readonly string[] = [],
  clientArgs: readonly string[] = [],
): Pick<Cell, "server" | "client"> {
  return {
    server: { launch: `${transport}:server`, args: ["--endpoint", endpoint, ...serverArgs] },
    client: { launch: `${transport}:client`, args: ["--endpoint", endpoint, ...clientArgs] },
  };
}

/**
 * A cell over TCP, on loopback at `port`; {@linkcode Cell.tcp} moves it to
 * another address (a shaped link, another machine).
 */
function tcpCell(
  cell: Omit<Cell, "server" | "client" | "tcp" | "limit">,
  port: number,
  serverArgs: readonly string[] = [],
  clientArgs: readonly string[] = [],
): Cell {
  const at = (host: string, port: number) =>
    serverAndClient(cell.transport, `tcp://${host}:${port}`, serverArgs, clientArgs);
  return { ...cell, limit: "echo_tcp", ...at("127.0.0.1", port), tcp: { port, at } };
}

/** A REST cell: every variant shares one server. */
function restCell(variant: string, description: string, study?: number, encoder?: string): Cell {
  return tcpCell(
    {
      name: encoder ? `rest ${variant} ${encoder}` : `rest ${variant}`,
      transport: "rest",
      description,
      ...(study === undefined ? {} : { study }),
    },
    REST_PORT,
    [],
    ["--variant", variant, ...(encoder ? ["--encoder", encoder] : [])],
  );
}

/** A gRPC cell of framebench's own implementation (`lean`) or grpc-js (`js`). */
function grpcCell(
  name: string,
  description: string,
  impl: "lean" | "js",
  variant: "unary" | "stream",
  study?: number,
): Cell {
  const implArgs = impl === "js" ? ["--impl", "js"] : [];
  return tcpCell(
    { name, transport: "grpc", description, ...(study === undefined ? {} : { study }) },
    impl === "js" ? GRPC_JS_PORT : GRPC_PORT,
    implArgs,
    [...implArgs, "--variant", variant],
  );
}

/** Every cell, in report order. */
export const CELLS: readonly Cell[] = [
  {
    name: "baseline",
    transport: "baseline",
    description: "same process: one copy, then the same verification as every client",
    client: { launch: "baseline", args: [] },
    limit: "memcpy",
    study: STUDY_BASELINE_FPS,
  },
  {
    name: "zmq ipc",
    transport: "zmq",
    description: "ZeroMQ REQ client, ROUTER server, over a unix socket (libzmq through FFI)",
    ...serverAndClient("zmq", ZMQ_IPC),
    limit: "echo_unix",
    study: 50,
  },
  tcpCell(
    {
      name: "zmq tcp",
      transport: "zmq",
      description: "ZeroMQ REQ client, ROUTER server, over TCP loopback",
    },
    ZMQ_TCP_PORT,
  ),
  {
    name: "socket unix",
    transport: "socket",
    description: "Deno's own unix stream sockets, frame properties then pixels, echoed whole",
    ...serverAndClient("socket", SOCKET_UNIX),
    limit: "echo_unix",
  },
  tcpCell(
    {
      name: "socket tcp",
      transport: "socket",
      description: "Deno's own TCP sockets (no delay), over loopback",
    },
    SOCKET_TCP_PORT,
  ),
  {
    name: "shm futex",
    transport: "shm",
    description: "shared-memory ring, futex wake-ups: the pixels never leave the segment",
    ...serverAndClient("shm", SHM_ENDPOINT, [], ["--variant", "futex"]),
    limit: "shm_futex_verify",
  },
  {
    name: "shm zmq",
    transport: "shm",
    description: "shared-memory ring, frame properties over ZeroMQ (the study's design)",
    ...serverAndClient("shm", SHM_ENDPOINT, [], ["--variant", "zmq"]),
    limit: "shm_unix_verify",
    study: 95,
  },
  grpcCell(
    "grpc unary",
    "gRPC unary Echo call per frame, TCP loopback, framebench's own HTTP/2 (--impl lean)",
    "lean",
    "unary",
    25,
  ),
  grpcCell(
    "grpc stream",
    "gRPC bidirectional EchoStream, 3 frames in flight, TCP loopback, framebench's own HTTP/2 (--impl lean)",
    "lean",
    "stream",
  ),
  grpcCell(
    "grpc unary js",
    "gRPC unary Echo call per frame, TCP loopback, @grpc/grpc-js (--impl js)",
    "js",
    "unary",
  ),
  grpcCell(
    "grpc stream js",
    "gRPC bidirectional EchoStream, 3 frames in flight, TCP loopback, @grpc/grpc-js (--impl js)",
    "js",
    "stream",
  ),
  {
    name: "grpc python (grpcio)",
    transport: "grpc",
    description:
      "reference: Python grpcio (gRPC's C core) unary Echo client and server, TCP loopback, the same checks of every frame",
    server: {
      launch: "grpc:python-server",
      args: ["--endpoint", `tcp://127.0.0.1:${GRPC_PYTHON_PORT}`],
    },
    client: {
      launch: "grpc:python-client",
      args: ["--endpoint", `tcp://127.0.0.1:${GRPC_PYTHON_PORT}`, "--variant", "unary"],
    },
    limit: "echo_tcp",
    reference: true,
    missing: pythonGrpcMissing,
  },
  restCell("raw", "HTTP/1.1 POST of the raw frame (octet-stream), echoed as the body"),
  restCell("multipart", "HTTP multipart/form-data upload, then a download back (the study's)", 3.5),
  restCell("base64", "JSON with the frame as base64 text, built-in codec", 4.4),
  restCell(
    "base64",
    "JSON with the frame as base64 text, pure-JS codec (byte-encodings)",
    4.1,
    "js",
  ),
  restCell("hex", "JSON with the frame as hex text, built-in codec", 4.0),
  restCell("jpeg", "JPEG (sharp, quality 90) as base64 in JSON, checked by PSNR", 8.2),
];

/**
 * The cells whose name or transport is in `only` (all when `only` is empty);
 * throws for a name that none of `known` (default: `cells`) has.
 */
export function selectCells<C extends { name: string; transport: string }>(
  cells: readonly C[],
  only: readonly string[],
  known: readonly { name: string; transport: string }[] = cells,
): C[] {
  if (only.length === 0) return [...cells];
  const unknown = only.filter((o) => !known.some((c) => c.name === o || c.transport === o));
  if (unknown.length > 0) {
    const names = [...new Set(known.flatMap((c) => [c.transport, c.name]))].join(", ");
    throw new Error(`unknown transport or cell: ${unknown.join(", ")} (known: ${names})`);
  }
  return cells.filter((c) => only.includes(c.name) || only.includes(c.transport));
}

/** A server setup and the cells that use it: the variants of one transport share a server. */
export interface ServerGroup {
  /** What to launch, as in {@linkcode Cell.server}. */
  server: NonNullable<Cell["server"]>;
  /** The cells served by it, in report order. */
  cells: Cell[];
}

/** The cells that have a server, grouped by identical server setup, in report order. */
export function serverGroups(cells: readonly Cell[]): ServerGroup[] {
  const groups = new Map<string, ServerGroup>();
  for (const cell of cells) {
    if (!cell.server) continue;
    const key = JSON.stringify(cell.server);
    const group = groups.get(key);
    if (group) group.cells.push(cell);
    else groups.set(key, { server: cell.server, cells: [cell] });
  }
  return [...groups.values()];
}
