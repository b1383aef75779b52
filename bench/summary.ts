/**
 * What a benchmark run found, per cell and size: the median and spread of its
 * runs, its fractions of the baseline and of the machine's limit; and the
 * number formats that every report writer shares.
 *
 * @module
 */

import { type Cell, STUDY_BASELINE_FPS } from "./cells.ts";
import type { Limit } from "./limits.ts";
import type { MachineInfo } from "./machine.ts";
import type { CellRun } from "./runner.ts";
import type { StreamCell } from "./stream_cells.ts";
import type { StreamRun, StreamSetting } from "./stream_runner.ts";
import { type Spread, spread } from "./stats.ts";

/** What a cell did at one size over its runs (statistics over the good runs). */
export interface CellSummary {
  /** Cell name. */
  cell: string;
  /** Transport name. */
  transport: string;
  /** What the cell measures. */
  description: string;
  /** Frame size. */
  size: string;
  /** Bytes of one frame (NaN when no run printed a record). */
  frameBytes: number;
  /** Runs made, and how many were good. */
  runs: number;
  ok: number;
  /** Round trips per second. */
  fps: Spread;
  /** Medians over the good runs. */
  mbPerS: number;
  p50Ms: number;
  p99Ms: number;
  cpuClientMs: number;
  cpuServerMs: number;
  /** Frames verified and frames failed, over every run. */
  verified: number;
  errors: number;
  /** Why runs failed (distinct reasons). */
  failures: string[];
  /** Median fps over the baseline's median fps at the same size. */
  vsBaseline: number;
  /** The Python study's fps for this design over its own baseline (105 fps). */
  studyVsBaseline?: number;
  /** The machine limit this cell is judged against, and the median fps over it. */
  limitTest?: string;
  vsLimit: number;
}

/** Everything one benchmark run produced: what `results.json` holds. */
export interface BenchResults {
  /** The machine and software. */
  machine: MachineInfo;
  /** The settings. */
  settings: { sizes: string[]; runs: number; seconds: number; warmup: number };
  /** Every cell measured, in report order. */
  cells: Cell[];
  /** Every run: the echo cells' and the stream cells'. */
  runs: (CellRun | StreamRun)[];
  /** The stream mode's cells and settings, when it ran. */
  stream?: {
    /** Every stream cell measured, in report order. */
    cells: StreamCell[];
    /** Subscribers and target rates. */
    settings: StreamSetting[];
    /** Slow subscribers in each setting. */
    slow: number;
    /** What publishers did with a slow subscriber, when `--overflow` was given. */
    overflow?: string;
  };
  /** The machine's limits measured in the same sitting (empty without the limits program). */
  limits: Limit[];
  /** True when the bench was interrupted (Ctrl-C): `runs` holds the runs that finished. */
  interrupted?: boolean;
}

const median = (values: number[]) => spread(values).median;

/** The echo runs of a benchmark (results of an older framebench have no `mode`: echo). */
export function echoRuns(results: BenchResults): CellRun[] {
  return results.runs.filter((r): r is CellRun => r.mode !== "stream");
}

/** The stream runs of a benchmark. */
export function streamRuns(results: BenchResults): StreamRun[] {
  return results.runs.filter((r): r is StreamRun => r.mode === "stream");
}

/** Summarizes every echo cell at every size, in the cells' order, sizes in order. */
export function summarize(results: BenchResults): CellSummary[] {
  const echo = echoRuns(results);
  const out: CellSummary[] = [];
  for (const size of results.settings.sizes) {
    const summaries: CellSummary[] = [];
    for (const cell of results.cells) {
      const runs = echo.filter((r) => r.cell === cell.name && r.size === size);
      if (runs.length === 0) continue;
      const good = runs.filter((r) => r.status === "ok" && r.record);
      const records = good.map((r) => r.record!);
      const serverCpu = good.filter((r) => r.server && r.server.frames > 0)
        .map((r) => r.server!.cpuMs / r.server!.frames);
      summaries.push({
        cell: cell.name,
        transport: cell.transport,
        description: cell.description,
        size,
        frameBytes: runs.find((r) => r.record)?.record?.frameBytes ?? NaN,
        runs: runs.length,
        ok: good.length,
        fps: spread(records.map((r) => r.fps)),
        mbPerS: median(records.map((r) => r.mbPerS)),
        p50Ms: median(records.map((r) => r.latencyMs.p50)),
        p99Ms: median(records.map((r) => r.latencyMs.p99)),
        cpuClientMs: median(records.map((r) => r.cpuMsPerFrame)),
        cpuServerMs: median(serverCpu),
        verified: runs.reduce((n, r) => n + (r.record?.verified ?? 0), 0),
        errors: runs.reduce((n, r) => n + (r.record?.errors ?? 0), 0),
        failures: [
          ...new Set(runs.filter((r) => r.status !== "ok").map((r) => r.reason ?? "failed")),
        ],
        vsBaseline: NaN,
        limitTest: cell.limit,
        vsLimit: NaN,
        studyVsBaseline: cell.study === undefined ? undefined : cell.study / STUDY_BASELINE_FPS,
      });
    }
    const baseline = summaries.find((s) => s.transport === "baseline")?.fps.median ?? NaN;
    for (const s of summaries) {
      s.vsBaseline = s.fps.median / baseline;
      const limit = (results.limits ?? []).find((l) =>
        l.test === s.limitTest && l.frameBytes === s.frameBytes
      );
      s.vsLimit = limit ? s.fps.median / limit.fps : NaN;
    }
    out.push(...summaries);
  }
  return out;
}

/** A number with about three significant digits: 2725, 313, 42.1, 4.37. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return "–";
  const a = Math.abs(n);
  return a >= 100 ? Math.round(n).toString() : a >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** A cell's fps for a table: the median in bold, and the min–max of its runs. */
export function fpsCell(s: CellSummary): string {
  if (s.ok === 0) return "failed";
  const range = s.fps.n > 1 ? ` (${fmt(s.fps.min)}–${fmt(s.fps.max)})` : "";
  return `**${fmt(s.fps.median)}**${range}`;
}

/** A ratio as `0.52x` (three decimals under 0.1), or a dash. */
export function ratio(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? "–" : `${n.toFixed(n < 0.1 ? 3 : 2)}x`;
}

/** A cell's fraction of its machine limit, with the limit's name, or a dash. */
export function limitCell(s: CellSummary): string {
  return Number.isFinite(s.vsLimit) ? `${ratio(s.vsLimit)} ${s.limitTest}` : "–";
}
