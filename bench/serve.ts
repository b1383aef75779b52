#!/usr/bin/env -S deno run --allow-run --allow-read --allow-env
/**
 * Every TCP server at once, for a runner on another machine:
 *
 *     deno task serve                      # loopback: 127.0.0.1, ports from 15550
 *     deno task serve --host 10.0.0.5      # beyond this machine (a network you trust)
 *
 * Prints one JSON line per server once all are ready (its ready line and the
 * cells it serves: what `deno task bench --endpoints FILE` reads), and stops
 * them all on Ctrl-C, printing their stopped lines. Then, on the other
 * machine: `deno task bench --remote 10.0.0.5` (or `--endpoints FILE`).
 *
 * Permissions: --allow-run to start the servers (`deno` itself, whose path is
 * only known at run time), --allow-read and --allow-env for their tasks.
 *
 * @module
 */

import { errorLine, runMain } from "../common/cli.ts";
import { isLoopback } from "../common/endpoint.ts";
import { parseArgs } from "node:util";
import { UsageError } from "../common/flags.ts";
import { CELLS } from "./cells.ts";
import { SERVE_PORT, servedGroups, type ServedLine } from "./remote.ts";
import { type ServerProcess, startServer, stopChildrenOnSignal } from "../testing/processes.ts";

const HELP = `Usage: deno task serve [--host ADDR]

Starts every TCP server of the bench at once (ports from ${SERVE_PORT}), prints one JSON line
per server, and stops them all on Ctrl-C. Run the clients elsewhere with
deno task bench --remote HOST, or --endpoints FILE (a file of these lines).

Flags:
  --host ADDR   the address to listen on (default 127.0.0.1: this machine only); another
                address lets anyone who can reach it send frames: use it on a network you trust
  --help        print this help`;

/** Options for {@linkcode serve}. */
export interface ServeOptions {
  /** The address to listen on. Default: `127.0.0.1`. */
  host?: string;
  /** Stops the servers when aborted. */
  signal: AbortSignal;
  /** Where each line goes. Default: stdout. */
  print?: (line: string) => void;
}

/** Starts every TCP server, prints their lines, and stops them once `signal` aborts; the exit code. */
export async function serve(options: ServeOptions): Promise<number> {
  const host = options.host ?? "127.0.0.1";
  const print = options.print ?? ((line: string) => console.log(line));
  const started: ServerProcess[] = [];
  let code = 0;
  try {
    const lines: ServedLine[] = [];
    for (const group of servedGroups(CELLS, host)) {
      const server = await startServer(group.server.launch, group.server.args);
      started.push(server);
      lines.push({ ...server.ready, cells: group.cells.map((c) => c.name) });
    }
    for (const line of lines) print(JSON.stringify(line));
    if (!options.signal.aborted) {
      await new Promise((resolve) => options.signal.addEventListener("abort", resolve));
    }
  } catch (error) {
    console.error(`serve: ${errorLine(error)}`);
    code = 1;
  } finally {
    for (const server of started) {
      const stop = await server.stop("SIGINT");
      if (stop.stopped) print(JSON.stringify(stop.stopped));
      if (stop.code !== 0) code = 1;
    }
  }
  return code;
}

if (import.meta.main) {
  const signal = stopChildrenOnSignal("serve");
  runMain("serve", async (args) => {
    let values: { host: string; help?: boolean };
    try {
      ({ values } = parseArgs({
        args,
        options: { host: { type: "string", default: "127.0.0.1" }, help: { type: "boolean" } },
      }));
    } catch (error) {
      throw new UsageError(errorLine(error).split(/\.\s/)[0].replace(/'/g, ""));
    }
    if (values.help) return console.log(HELP);
    const host = values.host;
    if (!/^[A-Za-z0-9.\-:]+$/.test(host)) {
      throw new UsageError(`--host must be an address, got "${host}"`);
    }
    if (!isLoopback(host)) {
      console.error(
        `serve: listening on ${host}, beyond this machine: anyone who can reach it can send frames`,
      );
    }
    return await serve({ host, signal });
  });
}
