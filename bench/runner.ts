/**
 * The runner: starts each cell's server and client as real processes, in an
 * interleaved order over repeated runs, and collects what they report. A cell
 * that fails, hangs or reports errors is marked failed with its reason, and
 * the run goes on.
 *
 * @module
 */

import { errorLine } from "../common/cli.ts";
import type { ResultRecord } from "../common/record.ts";
import type { StoppedEvent } from "../common/server.ts";
import type { Cell } from "./cells.ts";
import {
  ExitedEarly,
  INTERRUPTED_CODE,
  runClient,
  type ServerProcess,
  startServer,
} from "../testing/processes.ts";

/** One client run of one cell at one size. */
export interface CellRun {
  /** Cell name. */
  cell: string;
  /** Transport name. */
  transport: string;
  /** Frame size as given to `--size`. */
  size: string;
  /** Which repetition (1-based). */
  run: number;
  /** `ok`, or `failed` with a reason. */
  status: "ok" | "failed";
  /** Why it failed. */
  reason?: string;
  /** The client's result record, when it printed one. */
  record?: ResultRecord;
  /** The server's stopped line, when it has a server. */
  server?: StoppedEvent;
}

/** What {@linkcode runCells} did. */
export interface CellRuns {
  /** Every finished run, in the order run. */
  runs: CellRun[];
  /** Whether a Ctrl-C (or SIGINT) stopped the runs before every run was done. */
  interrupted: boolean;
}

/** Options for {@linkcode runCells}. */
export interface RunOptions {
  /** Frame sizes, as `--size` takes them. */
  sizes: readonly string[];
  /** Repetitions of each cell. Default: 3. */
  runs?: number;
  /** Seconds measured per run. Default: 5. */
  seconds?: number;
  /** Seconds of warm-up per run. Default: 1. */
  warmup?: number;
  /** Seconds a run may take beyond warm-up + measurement before it counts as hung. Default: 30. */
  graceSeconds?: number;
  /** Called before each run with a progress line, and after with its result. */
  onProgress?: (line: string, done?: CellRun) => void;
  /**
   * Stops the runs when aborted (Ctrl-C): the run under way is left out, and
   * the runs that finished before it are returned. A client or server that
   * ended with exit code 130 (interrupted: a terminal's Ctrl-C reaches the
   * children as well, sometimes before this process sees it) stops them the
   * same way. Default: none.
   */
  signal?: AbortSignal;
}

/**
 * The order of the runs: repetition by repetition, each size, every cell, with
 * the cells rotated one place per repetition so that no cell always runs
 * first, or always right after the same neighbour, on a drifting machine.
 */
export function runOrder<T>(cells: readonly T[], sizes: readonly string[], runs: number) {
  const order: { cell: T; size: string; run: number }[] = [];
  for (let run = 1; run <= runs; run++) {
    for (const size of sizes) {
      for (let i = 0; i < cells.length; i++) {
        order.push({ cell: cells[(i + run - 1) % cells.length], size, run });
      }
    }
  }
  return order;
}

/** Why a finished client run counts as failed, or undefined when it is good. */
function failure(
  code: number,
  timedOut: boolean,
  record: ResultRecord | undefined,
  stderr: string,
  timeoutS: number,
) {
  if (timedOut) return `hung: no result within ${timeoutS} s`;
  const last = stderr.trim().split("\n").pop() ?? "";
  if (!record) return `no result record (exit code ${code})${last ? `: ${last}` : ""}`;
  if (record.status !== "ok") return record.reason ?? record.status;
  if (record.errors > 0) return `${record.errors} frames failed (first: ${record.firstError})`;
  if (code !== 0) return `exit code ${code}${last ? `: ${last}` : ""}`;
  return undefined;
}

/** Runs every cell at every size `runs` times and returns every run (those that finished, when stopped). */
export async function runCells(cells: readonly Cell[], options: RunOptions): Promise<CellRuns> {
  const { runs = 3, seconds = 5, warmup = 1, graceSeconds = 30 } = options;
  const timeoutS = warmup + seconds + graceSeconds;
  const order = runOrder(cells, options.sizes, runs);
  const results: CellRun[] = [];
  let interrupted = false;
  for (const [i, { cell, size, run }] of order.entries()) {
    if (options.signal?.aborted) {
      interrupted = true;
      break;
    }
    options.onProgress?.(`[${i + 1}/${order.length}] ${cell.name} ${size} run ${run}/${runs}`);
    const base = { cell: cell.name, transport: cell.transport, size, run };
    let result: CellRun;
    let server: ServerProcess | undefined;
    try {
      if (cell.server) {
        server = await startServer(cell.server.launch, cell.server.args, {
          netns: cell.server.netns,
        });
      }
      const client = await runClient(cell.client.launch, [
        ...cell.client.args,
        ...["--size", size, "--seconds", String(seconds), "--warmup", String(warmup)],
      ], { timeoutMs: timeoutS * 1000, netns: cell.client.netns });
      const reason = failure(client.code, client.timedOut, client.record, client.stderr, timeoutS);
      result = { ...base, status: reason ? "failed" : "ok", reason, record: client.record };
      interrupted = client.code === INTERRUPTED_CODE;
    } catch (error) {
      result = { ...base, status: "failed", reason: errorLine(error) };
      interrupted = error instanceof ExitedEarly && error.code === INTERRUPTED_CODE;
    }
    if (server) {
      const stop = await server.stop("SIGINT");
      result.server = stop.stopped;
      if (stop.code !== 0 && result.status === "ok") {
        result = { ...result, status: "failed", reason: `server exit code ${stop.code}` };
      }
    }
    // Interrupted: this run was cut short, so it says nothing about the cell.
    if (interrupted || options.signal?.aborted) {
      interrupted = true;
      break;
    }
    if (result.reason === undefined) delete result.reason;
    results.push(result);
    options.onProgress?.(
      `[${i + 1}/${order.length}] ${cell.name} ${size} run ${run}/${runs}`,
      result,
    );
  }
  return { runs: results, interrupted };
}
