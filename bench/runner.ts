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
  /** `echo` (the runner always sets it; results of an older framebench lack it). */
  mode?: "echo";
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

/** One run's result, and whether a Ctrl-C reached its processes (exit code 130). */
export interface RunOutcome<R> {
  /** What the run produced. */
  result: R;
  /** Whether it was cut short by a Ctrl-C: then it says nothing of its cell. */
  interrupted: boolean;
}

/** Whether `error` is a process that ended on a Ctrl-C before it was ready. */
export function interruptedBy(error: unknown): boolean {
  return error instanceof ExitedEarly && error.code === INTERRUPTED_CODE;
}

/**
 * Runs each item of `order` in turn until all are done, one is interrupted or
 * `signal` aborts, calling `done` after each finished one; returns the
 * finished runs (an interrupted one left out).
 */
export async function runInTurn<T, R>(
  order: readonly T[],
  signal: AbortSignal | undefined,
  run: (item: T, i: number) => Promise<RunOutcome<R>>,
  done?: (item: T, i: number, result: R) => void,
): Promise<{ runs: R[]; interrupted: boolean }> {
  const runs: R[] = [];
  for (const [i, item] of order.entries()) {
    if (signal?.aborted) return { runs, interrupted: true };
    const { result, interrupted } = await run(item, i);
    if (interrupted || signal?.aborted) return { runs, interrupted: true };
    runs.push(result);
    done?.(item, i, result);
  }
  return { runs, interrupted: false };
}

/** Runs every cell at every size `runs` times and returns every run (those that finished, when stopped). */
export function runCells(cells: readonly Cell[], options: RunOptions): Promise<CellRuns> {
  const { runs = 3, seconds = 5, warmup = 1, graceSeconds = 30 } = options;
  const timeoutS = warmup + seconds + graceSeconds;
  const order = runOrder(cells, options.sizes, runs);
  const label = (i: number) => {
    const { cell, size, run } = order[i];
    return `[${i + 1}/${order.length}] ${cell.name} ${size} run ${run}/${runs}`;
  };
  return runInTurn(order, options.signal, async ({ cell, size, run }, i) => {
    options.onProgress?.(label(i));
    const base = { mode: "echo" as const, cell: cell.name, transport: cell.transport, size, run };
    let result: CellRun;
    let interrupted = false;
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
      interrupted = interruptedBy(error);
    }
    if (server) {
      const stop = await server.stop("SIGINT");
      result.server = stop.stopped;
      if (stop.code !== 0 && result.status === "ok") {
        result = { ...result, status: "failed", reason: `server exit code ${stop.code}` };
      }
    }
    if (result.reason === undefined) delete result.reason;
    return { result, interrupted };
  }, (_, i, result) => options.onProgress?.(label(i), result));
}
