#!/usr/bin/env -S deno run --allow-run --allow-read --allow-env
/**
 * The soak: every transport's server kept up for the whole run (10 minutes
 * by default) while clients of every variant take turns against them, one
 * at a time; prints fps over time and the servers' resident memory, so that
 * a leak, a slowdown or a server that gives up shows.
 *
 *     deno task soak                        # every server, 10 minutes in all
 *     deno task soak --only zmq --minutes 2
 *
 * Permissions: --allow-run to start `Deno.execPath()` and `ps`, --allow-read
 * for deno.json, --allow-env for the children's environment.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { errorLine, runMain } from "../common/cli.ts";
import { numberFlag, UsageError } from "../common/flags.ts";
import { parseSize } from "../common/frame.ts";
import { type Cell, CELLS, selectCells, serverGroups } from "./cells.ts";
import {
  INTERRUPTED_CODE,
  residentMB,
  runClient,
  type ServerProcess,
  startServer,
  stopChildrenOnSignal,
} from "../testing/processes.ts";
import { spread } from "./stats.ts";

/** Options for {@linkcode soak}. */
export interface SoakOptions {
  /** The cells whose servers to keep up and whose clients take turns (those without a server are skipped). */
  cells: readonly Cell[];
  /** Minutes in all. Default: 10. */
  minutes?: number;
  /** Seconds each client measures. Default: 10. */
  sliceSeconds?: number;
  /** Frame size of the clients. Default: `1080p`. */
  size?: string;
  /** Where each line goes. Default: stdout. */
  log?: (line: string) => void;
  /**
   * Ends the soak early when aborted (Ctrl-C), as does a client that ends with
   * exit code 130 (interrupted); the client run under way is left out.
   * Default: none.
   */
  signal?: AbortSignal;
}

/** What a soak saw of one cell. */
export interface SoakCell {
  /** The cell's name. */
  name: string;
  /** fps of each client run, in order. */
  fps: number[];
  /** Frames that failed verification, over all runs. */
  errors: number;
  /** Client runs that failed, with their reasons. */
  failures: string[];
}

/** What a soak saw of one server. */
export interface SoakServer {
  /** The names of the cells it served. */
  cells: string[];
  /** Its resident memory (MB) after each client run against any server. */
  memoryMB: number[];
  /** Its exit code when stopped (0 expected), or undefined if it was gone before. */
  exitCode?: number;
}

/** The outcome of {@linkcode soak}. */
export interface SoakResult {
  /** Per cell, in the order given. */
  cells: SoakCell[];
  /** Per server setup. */
  servers: SoakServer[];
  /** True when every run succeeded with no frame errors and every server stopped cleanly. */
  ok: boolean;
  /** True when `signal` ended it early. */
  interrupted: boolean;
}

/**
 * Starts one server per server setup of `options.cells`, runs their clients
 * in turn (each for `sliceSeconds`) until `minutes` have passed, sampling
 * every server's memory after each client, then stops the servers.
 */
export async function soak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? console.log;
  const minutes = options.minutes ?? 10;
  const slice = options.sliceSeconds ?? 10;
  const size = options.size ?? "1080p";
  const groups = serverGroups(options.cells);
  if (groups.length === 0) throw new Error("none of these cells has a server to soak");
  const cells: SoakCell[] = groups.flatMap((g) =>
    g.cells.map((c) => ({ name: c.name, fps: [], errors: 0, failures: [] }))
  );
  const servers: SoakServer[] = groups.map((g) => ({
    cells: g.cells.map((c) => c.name),
    memoryMB: [],
  }));
  const running: ServerProcess[] = [];
  let interrupted = false;
  try {
    for (const group of groups) {
      running.push(await startServer(group.server.launch, group.server.args));
    }
    const start = performance.now();
    const turns = groups.flatMap((g, server) => g.cells.map((cell) => ({ cell, server })));
    const { signal } = options;
    for (let turn = 0; performance.now() - start < minutes * 60000; turn++) {
      if (signal?.aborted) {
        interrupted = true;
        break;
      }
      const { cell, server } = turns[turn % turns.length];
      const seen = cells.find((c) => c.name === cell.name)!;
      const run = await runClient(cell.client.launch, [
        ...cell.client.args,
        ...["--size", size, "--seconds", String(slice), "--warmup", "0.5"],
      ], { timeoutMs: (slice + 30) * 1000 });
      if (signal?.aborted || run.code === INTERRUPTED_CODE) {
        interrupted = true; // cut short: says nothing of the transport
        break;
      }
      for (const [i, process] of running.entries()) {
        const mb = await residentMB(process.child.pid);
        if (mb !== undefined) servers[i].memoryMB.push(mb);
      }
      const t = `${((performance.now() - start) / 1000).toFixed(0).padStart(4)} s`;
      const memory = servers[server].memoryMB.at(-1)?.toFixed(0) ?? "gone";
      if (run.code !== 0 || !run.record || run.record.status !== "ok") {
        const reason = run.record?.reason ?? run.stderr.trim().split("\n").pop() ?? "no output";
        seen.failures.push(reason);
        log(`${t}  ${cell.name.padEnd(16)} FAILED: ${reason}`);
        continue;
      }
      seen.fps.push(run.record.fps);
      seen.errors += run.record.errors;
      log(
        `${t}  ${cell.name.padEnd(16)} ${run.record.fps.toFixed(1).padStart(7)} fps  ` +
          `${run.record.errors} errors  server RSS ${memory} MB`,
      );
    }
  } finally {
    for (const [i, process] of running.entries()) {
      servers[i].exitCode = (await process.stop()).code;
    }
  }
  const ok = cells.every((c) => c.failures.length === 0 && c.errors === 0) &&
    servers.every((s) => s.exitCode === 0);
  return { cells, servers, ok, interrupted };
}

/** The soak's summary: fps per cell (first and last run, median) and memory per server. */
export function soakSummary(result: SoakResult): string {
  const out = [
    "",
    "cell              runs  fps median (min-max)      first -> last  errors  failed",
  ];
  for (const c of result.cells) {
    const f = spread(c.fps);
    const range = c.fps.length > 0
      ? `${f.median.toFixed(1)} (${f.min.toFixed(1)}-${f.max.toFixed(1)})`
      : "-";
    const trend = c.fps.length > 0 ? `${c.fps[0].toFixed(0)} -> ${c.fps.at(-1)!.toFixed(0)}` : "-";
    out.push(
      `${c.name.padEnd(16)}  ${String(c.fps.length).padStart(4)}  ${range.padEnd(24)}  ${
        trend.padEnd(14)
      }  ${String(c.errors).padStart(6)}  ${c.failures.length}`,
    );
  }
  out.push("", "server (its cells)                        RSS MB first  peak  last  exit");
  for (const s of result.servers) {
    const m = s.memoryMB;
    const mb = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(0)).padStart(4);
    out.push(
      `${s.cells.join(", ").slice(0, 40).padEnd(40)}  ${mb(m[0]).padStart(12)}  ${
        mb(m.length ? Math.max(...m) : undefined)
      }  ${mb(m.at(-1))}  ${s.exitCode ?? "gone"}`,
    );
  }
  const verdict = result.ok ? "soak: ok" : "soak: FAILED (see above)";
  out.push("", result.interrupted ? `${verdict}, interrupted before its end` : verdict);
  return out.join("\n");
}

if (import.meta.main) {
  const signal = stopChildrenOnSignal("soak");
  runMain("soak", async (args) => {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: {
          only: { type: "string" },
          minutes: { type: "string", default: "10" },
          size: { type: "string", default: "1080p" },
          slice: { type: "string", default: "10" },
          help: { type: "boolean" },
        },
      }));
    } catch (error) {
      throw new UsageError(errorLine(error).split(/\.\s/)[0].replace(/'/g, ""));
    }
    if (values.help) {
      return console.log(
        "Usage: deno task soak [--only LIST] [--minutes 10] [--size 1080p] [--slice 10]\n\n" +
          "Keeps every transport's server up for --minutes while the clients of every variant\n" +
          "take turns, --slice seconds each; prints fps and the server's memory after each\n" +
          "client, then a summary. Exits 1 if a run failed, a frame was wrong, or a server\n" +
          "did not stop cleanly.",
      );
    }
    const only = typeof values.only === "string" ? values.only.split(",").map((s) => s.trim()) : [];
    parseSize(values.size as string); // a bad size is a usage error here, not in every client
    const result = await soak({
      cells: selectCells(CELLS.filter((c) => !c.reference), only),
      minutes: numberFlag("minutes", values.minutes),
      sliceSeconds: numberFlag("slice", values.slice),
      size: values.size as string,
      signal,
    });
    console.log(soakSummary(result));
    if (result.interrupted) return 130;
    return result.ok ? 0 : 1;
  });
}
