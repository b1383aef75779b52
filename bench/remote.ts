/**
 * Servers on one machine, clients on another: the TCP servers that
 * `deno task serve` starts there, and the cells that
 * `deno task bench --remote HOST` or `--endpoints FILE` runs here against
 * them.
 *
 * `deno task serve` gives each TCP server setup a fixed port, from
 * {@linkcode SERVE_PORT} up in the order of the runner's cells, so that
 * `--remote HOST` knows them; its ready lines (one JSON line per server, with
 * the cells it serves) are what `--endpoints FILE` reads, for servers started
 * on other ports or behind another address.
 *
 * @module
 */

import { UsageError } from "../common/flags.ts";
import { parseEndpoint } from "../common/endpoint.ts";
import { type Cell, serverGroups } from "./cells.ts";

/** The first port of `deno task serve` (below Linux's ephemeral range). */
export const SERVE_PORT = 15550;

/** A TCP server setup `deno task serve` starts, and where. */
export interface ServedGroup {
  /** The cells it serves (a transport's variants share a server). */
  cells: Cell[];
  /** Its port. */
  port: number;
  /** Its server, listening on `host`:`port`. */
  server: NonNullable<Cell["server"]>;
}

/**
 * The TCP server setups of `cells` (those with {@linkcode Cell.tcp}, not
 * references), each on its port from {@linkcode SERVE_PORT}, listening on `host`.
 */
export function servedGroups(cells: readonly Cell[], host: string): ServedGroup[] {
  const tcp = cells.filter((c) => c.tcp && !c.link && !c.reference);
  return serverGroups(tcp).map((group, i) => {
    const port = SERVE_PORT + i;
    const { server } = group.cells[0].tcp!.at(host, port);
    return { cells: group.cells, port, server: server! };
  });
}

/** A line of `deno task serve`: a server's ready line and the cells it serves. */
export interface ServedLine {
  /** Always `ready`. */
  event: "ready";
  /** Transport name. */
  transport: string;
  /** Where its clients connect: `tcp://HOST:PORT`. */
  endpoint: string;
  /** Process id, on the serving machine. */
  pid: number;
  /** The names of the cells it serves. */
  cells: string[];
}

/** Where each cell's server is: cell name to host and port. */
export type ServerPlaces = Map<string, { host: string; port: number }>;

/** The places of `deno task serve`'s servers on `host` (its fixed ports). */
export function remotePlaces(cells: readonly Cell[], host: string): ServerPlaces {
  const places: ServerPlaces = new Map();
  for (const group of servedGroups(cells, host)) {
    for (const cell of group.cells) places.set(cell.name, { host, port: group.port });
  }
  return places;
}

/**
 * Reads the ready lines of `deno task serve` (blank lines and lines that are
 * not ready lines, such as stopped lines, are skipped). Throws
 * {@linkcode UsageError}, naming the line, for one that does not parse.
 */
export function parseServedLines(text: string, source: string): ServerPlaces {
  const places: ServerPlaces = new Map();
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const bad = (why: string) =>
      new UsageError(`--endpoints: ${source} line ${i + 1}: ${why}: ${line.slice(0, 80)}`);
    let event: Partial<ServedLine>;
    try {
      event = JSON.parse(line);
    } catch {
      throw bad("not a JSON line of deno task serve");
    }
    if (event?.event !== "ready") continue;
    if (
      !Array.isArray(event.cells) || !event.cells.every((c) => typeof c === "string") ||
      typeof event.endpoint !== "string"
    ) {
      throw bad("a ready line without its cells or endpoint (not from deno task serve)");
    }
    let endpoint;
    try {
      endpoint = parseEndpoint(event.endpoint, ["tcp", "http"]);
    } catch (error) {
      throw bad((error as Error).message);
    }
    if (endpoint.kind !== "tcp" && endpoint.kind !== "http") throw bad("not a TCP endpoint");
    for (const cell of event.cells) {
      places.set(cell, { host: endpoint.host, port: endpoint.port });
    }
  }
  if (places.size === 0) throw new UsageError(`--endpoints: ${source} holds no ready line`);
  return places;
}

/**
 * The TCP cells among `cells` whose server is at one of `places`: their
 * client only (the server runs there), named `<cell> at HOST`.
 */
export function remoteCells(cells: readonly Cell[], places: ServerPlaces): Cell[] {
  return cells.flatMap((cell) => {
    const place = places.get(cell.name);
    if (!cell.tcp || cell.link || !place) return [];
    const { client } = cell.tcp.at(place.host, place.port);
    const where = `${place.host}:${place.port}`;
    const remote: Cell = {
      ...cell,
      name: `${cell.name} at ${place.host}`,
      description:
        `${cell.description}; here its server at ${where} (deno task serve there), its client on this machine`,
      client,
      remote: where,
      tcp: undefined,
    };
    // The server runs elsewhere; the C echo on this machine's loopback is not its limit.
    delete remote.server;
    delete remote.limit;
    return [remote];
  });
}

/**
 * Checks that something listens at each place, within `timeoutMs` (default
 * 3000) each; throws one line naming the first that does not answer.
 */
export async function checkPlaces(places: ServerPlaces, timeoutMs = 3000): Promise<void> {
  const seen = new Set<string>();
  for (const { host, port } of places.values()) {
    const where = `${host}:${port}`;
    if (seen.has(where)) continue;
    seen.add(where);
    const timer = AbortSignal.timeout(timeoutMs);
    try {
      const conn = await Deno.connect({ hostname: host, port, signal: timer });
      conn.close();
    } catch (error) {
      const why = timer.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message;
      throw new Error(`no server at ${where} (is deno task serve running there?): ${why}`);
    }
  }
}

/**
 * What `deno task bench --remote HOST` or `--endpoints FILE` does to the
 * selected cells: keeps the TCP cells whose server is there, as
 * {@linkcode remoteCells}, after checking that each server answers. Throws
 * {@linkcode UsageError} for a bad flag or file, an Error (one line) for a
 * server that is not there.
 */
export async function remoteServers(
  cells: readonly Cell[],
  flags: { remote?: unknown; endpoints?: unknown; link?: unknown },
  progress: (line: string) => void,
): Promise<Cell[]> {
  if (flags.remote !== undefined && flags.endpoints !== undefined) {
    throw new UsageError("give --remote HOST or --endpoints FILE, not both");
  }
  if (flags.link !== undefined) {
    throw new UsageError("--link runs on this machine: not with --remote");
  }
  let places: ServerPlaces;
  if (typeof flags.endpoints === "string") {
    let text: string;
    try {
      text = await Deno.readTextFile(flags.endpoints);
    } catch (error) {
      throw new UsageError(
        `--endpoints: cannot read ${flags.endpoints}: ${(error as Error).message}`,
      );
    }
    places = parseServedLines(text, flags.endpoints);
  } else {
    const host = String(flags.remote);
    if (!/^[A-Za-z0-9.\-:]+$/.test(host)) {
      throw new UsageError(`--remote must be a host, got "${host}"`);
    }
    places = remotePlaces(cells, host);
  }
  const remote = remoteCells(cells, places);
  if (remote.length === 0) throw new UsageError("no selected cell has a server there");
  const used: ServerPlaces = new Map(
    [...places].filter(([name]) => remote.some((r) => r.name.startsWith(`${name} at `))),
  );
  await checkPlaces(used);
  const left = cells.filter((c) => !used.has(c.name));
  if (left.length > 0) {
    progress(
      `bench: only the cells with a server there run; left out: ${
        left.map((c) => c.name).join(", ")
      }`,
    );
  }
  return remote;
}
