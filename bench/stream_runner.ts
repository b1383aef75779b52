/**
 * The runner of the stream mode: for each cell, setting (subscribers, target
 * rate) and repetition, starts the publisher, then its subscribers (the first
 * `slow` of them deliberately slow), waits for all of them to finish, and
 * collects the publisher's record and every subscriber's.
 *
 * @module
 */

import { errorLine } from "../common/cli.ts";
import type { Overflow, PublisherRecord, SubscriberRecord, TargetFps } from "../common/stream.ts";
import {
  type ClientRun,
  INTERRUPTED_CODE,
  runClient,
  type ServerProcess,
  startServer,
} from "../testing/processes.ts";
import { interruptedBy, runInTurn, runOrder } from "./runner.ts";
import type { StreamCell } from "./stream_cells.ts";

/** Ms of deliberate work per frame of a slow subscriber (`--slow N`). */
export const SLOW_MS = 100;

/** One run of one stream cell: a publisher and its subscribers. */
export interface StreamRun {
  /** Always `stream`. */
  mode: "stream";
  /** Cell name. */
  cell: string;
  /** Transport name. */
  transport: string;
  /** Frame size as given to `--size`. */
  size: string;
  /** Which repetition (1-based). */
  run: number;
  /** Subscribers started. */
  subscribers: number;
  /** How many of them were slow ({@linkcode SLOW_MS} of work per frame); the first ones. */
  slow: number;
  /** The publisher's target rate. */
  targetFps: TargetFps;
  /** What the publisher did with a slow subscriber. */
  overflow: Overflow;
  /** `ok`, or `failed` with a reason. */
  status: "ok" | "failed";
  /** Why it failed. */
  reason?: string;
  /** The publisher's record, when it printed one. */
  publisher?: PublisherRecord;
  /** Every subscriber's record that was printed, in start order (the slow ones first). */
  subscriberRecords: SubscriberRecord[];
}

/** One setting of the stream cells: how many subscribers at what rate. */
export interface StreamSetting {
  /** Subscribers. */
  subscribers: number;
  /** Target rate. */
  fps: TargetFps;
}

/** Options for {@linkcode runStreamCells}. */
export interface StreamRunOptions {
  /** Frame sizes. */
  sizes: readonly string[];
  /** The settings each cell runs at. */
  settings: readonly StreamSetting[];
  /** Slow subscribers among each setting's (at most all but one). Default: 0. */
  slow?: number;
  /** What publishers do with a slow subscriber; a cell that cannot is skipped. Default: each cell's own default. */
  overflow?: Overflow;
  /** Repetitions. Default: 3. */
  runs?: number;
  /** Seconds measured (after the warm-up). Default: 5. */
  seconds?: number;
  /** Seconds of warm-up. Default: 1. */
  warmup?: number;
  /** Seconds a run may take beyond warm-up + measurement before it counts as hung. Default: 30. */
  graceSeconds?: number;
  /** Called after each run with a progress line and its result. */
  onProgress?: (line: string, done: StreamRun) => void;
  /** Stops the runs when aborted: the run under way is left out. */
  signal?: AbortSignal;
}

/** The JSON record that a publisher or subscriber printed last on stdout, if any. */
function lastRecord<T>(stdout: string, role: string): T | undefined {
  for (const line of stdout.trim().split("\n").reverse()) {
    try {
      const parsed = JSON.parse(line);
      if (parsed?.role === role) return parsed as T;
    } catch { /* not JSON */ }
  }
  return undefined;
}

/** Why a stream run counts as failed, or undefined when it is good. */
function failure(publisher: PublisherRecord | undefined, subs: ClientRun[], timeoutS: number) {
  if (!publisher) return "the publisher printed no record";
  if (publisher.status !== "ok") return `publisher: ${publisher.reason ?? publisher.status}`;
  for (const [i, sub] of subs.entries()) {
    const record = lastRecord<SubscriberRecord>(sub.stdout, "subscriber");
    const last = sub.stderr.trim().split("\n").pop() ?? "";
    if (sub.timedOut) return `subscriber ${i + 1}: hung: no record within ${timeoutS} s`;
    if (!record) return `subscriber ${i + 1}: no record (exit code ${sub.code}): ${last}`;
    if (record.status !== "ok") return `subscriber ${i + 1}: ${record.reason ?? record.status}`;
    if (record.errors > 0) {
      return `subscriber ${i + 1}: ${record.errors} frames failed (first: ${record.firstError})`;
    }
  }
  if (publisher.published === 0) return "the publisher published no frame";
  return undefined;
}

/** Runs every stream cell at every setting and size `runs` times; returns the runs that finished. */
export function runStreamCells(
  cells: readonly StreamCell[],
  options: StreamRunOptions,
): Promise<{ runs: StreamRun[]; interrupted: boolean }> {
  const { runs = 3, seconds = 5, warmup = 1, graceSeconds = 30, slow = 0 } = options;
  const timeoutS = warmup + seconds + graceSeconds;
  const pairs = cells.flatMap((cell) => options.settings.map((setting) => ({ cell, setting })));
  const order = runOrder(pairs, options.sizes, runs);
  return runInTurn(order, options.signal, async ({ cell: { cell, setting }, size, run }) => {
    const { subscribers, fps } = setting;
    const overflow = options.overflow ?? cell.overflow[0];
    const slowOnes = Math.min(slow, subscribers - 1);
    const result: StreamRun = {
      mode: "stream",
      cell: cell.name,
      transport: cell.transport,
      size,
      run,
      subscribers,
      slow: slowOnes,
      targetFps: fps,
      overflow,
      status: "ok",
      subscriberRecords: [],
    };
    let interrupted = false;
    let publisher: ServerProcess | undefined;
    try {
      const { netns } = cell.publisher;
      publisher = await startServer(cell.publisher.launch, [
        ...cell.publisher.args,
        ...["--size", size, "--fps", String(fps), "--overflow", overflow],
        ...["--subscribers", String(subscribers), "--seconds", String(warmup + seconds)],
        ...["--timeout", "20", "--json"],
      ], { netns });
      // A frame is late after one period of the target rate (at max: of 30 fps).
      const deadline = (1000 / (fps === "max" ? 30 : fps)).toFixed(2);
      const subs = await Promise.all(
        Array.from({ length: subscribers }, (_, k) =>
          runClient(cell.subscriber.launch, [
            ...cell.subscriber.args,
            ...["--size", size, "--warmup", String(warmup), "--deadline", deadline],
            ...(k < slowOnes ? ["--slow", String(SLOW_MS)] : []),
          ], { timeoutMs: timeoutS * 1000, netns: cell.subscriber.netns })),
      );
      interrupted = subs.some((s) => s.code === INTERRUPTED_CODE);
      // The publisher ends by itself once its time is up: give it that (unless
      // a subscriber could not even start), then stop it.
      const wait = subs.every((sub) => lastRecord(sub.stdout, "subscriber")) ? 10_000 : 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ended = await Promise.race([
        publisher.child.status.then(() => true),
        new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), wait)),
      ]);
      clearTimeout(timer);
      const stopped = await publisher.stop("SIGINT");
      publisher = undefined;
      result.publisher = lastRecord<PublisherRecord>(stopped.stdout, "publisher");
      result.subscriberRecords = subs.flatMap((s) => {
        const record = lastRecord<SubscriberRecord>(s.stdout, "subscriber");
        return record ? [record] : [];
      });
      const why = failure(result.publisher, subs, timeoutS);
      const reason = ended ? why : `the publisher did not end${why ? ` (${why})` : ""}`;
      if (reason) Object.assign(result, { status: "failed", reason });
      if (stopped.code === INTERRUPTED_CODE) interrupted = true;
    } catch (error) {
      Object.assign(result, { status: "failed", reason: errorLine(error) });
      interrupted = interruptedBy(error);
    } finally {
      await publisher?.stop("SIGINT");
    }
    return { result, interrupted };
  }, ({ cell: { cell, setting: { subscribers, fps } }, size, run }, i, result) => {
    const label = `${subscribers} sub${subscribers === 1 ? "" : "s"}${
      result.slow ? ` (${result.slow} slow)` : ""
    } at ${fps} fps`;
    options.onProgress?.(
      `[${i + 1}/${order.length}] stream ${cell.name} ${size} ${label} run ${run}/${runs}`,
      result,
    );
  });
}
