/**
 * The report of a benchmark run: per cell and size, the median and spread of
 * the runs, as `report.md`, `results.json`, `results.csv`, `chart.svg` and a
 * compact terminal table.
 *
 * @module
 */

import { type Cell, STUDY_BASELINE_FPS } from "./cells.ts";
import { type Limit, LIMIT_TESTS } from "./limits.ts";
import type { MachineInfo } from "./machine.ts";
import type { CellRun } from "./runner.ts";
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
  /** Every run. */
  runs: CellRun[];
  /** The machine's limits measured in the same sitting (empty without the limits program). */
  limits: Limit[];
  /** True when the bench was interrupted (Ctrl-C): `runs` holds the runs that finished. */
  interrupted?: boolean;
}

const median = (values: number[]) => spread(values).median;

/** Summarizes every cell at every size, in the cells' order, sizes in order. */
export function summarize(results: BenchResults): CellSummary[] {
  const out: CellSummary[] = [];
  for (const size of results.settings.sizes) {
    const summaries: CellSummary[] = [];
    for (const cell of results.cells) {
      const runs = results.runs.filter((r) => r.cell === cell.name && r.size === size);
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

function fpsCell(s: CellSummary): string {
  if (s.ok === 0) return "failed";
  const range = s.fps.n > 1 ? ` (${fmt(s.fps.min)}–${fmt(s.fps.max)})` : "";
  return `**${fmt(s.fps.median)}**${range}`;
}

function ratio(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? "–" : `${n.toFixed(n < 0.1 ? 3 : 2)}x`;
}

function limitCell(s: CellSummary): string {
  return Number.isFinite(s.vsLimit) ? `${ratio(s.vsLimit)} ${s.limitTest}` : "–";
}

function sizeTitle(size: string, summaries: CellSummary[]): string {
  const bytes = summaries.find((s) => s.size === size && s.frameBytes > 0)?.frameBytes;
  return bytes ? `${size} rgb24 (${(bytes / 1e6).toFixed(2)} MB per frame)` : `${size} rgb24`;
}

/** `report.md`: the header, one table per size, the method, the failures. */
export function markdownReport(results: BenchResults): string {
  const summaries = summarize(results);
  const m = results.machine;
  const { settings } = results;
  const lines = [
    "# framebench report",
    "",
    `${m.date} · ${m.cpu} · ${m.cores} cores · ${m.memoryGiB} GiB · ${m.kernel} · Deno ${m.deno} (V8 ${m.v8}, TypeScript ${m.typescript})`,
    "",
    `Command: \`${m.command}\``,
    "",
    ...(results.interrupted
      ? [
        `**Interrupted** (Ctrl-C) after ${results.runs.length} run(s): the tables hold the runs that finished.`,
        "",
      ]
      : []),
  ];
  for (const size of settings.sizes) {
    lines.push(
      `## ${sizeTitle(size, summaries)}`,
      "",
      "| transport | fps, median (min–max) | vs baseline | vs C limit | study vs its baseline | MB/s | round trip p50 / p99 ms | CPU ms/frame client / server | frames verified / failed |",
      "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    );
    for (const s of summaries.filter((x) => x.size === size)) {
      lines.push(
        [
          s.cell,
          fpsCell(s),
          ratio(s.vsBaseline),
          limitCell(s),
          ratio(s.studyVsBaseline),
          fmt(s.mbPerS),
          `${fmt(s.p50Ms)} / ${fmt(s.p99Ms)}`,
          `${fmt(s.cpuClientMs)} / ${fmt(s.cpuServerMs)}`,
          `${s.verified} / ${s.errors}`,
        ].join(" | ").replace(/^/, "| ").concat(" |"),
      );
    }
    lines.push("");
  }
  const failed = summaries.filter((s) => s.failures.length > 0);
  if (failed.length > 0) {
    lines.push("## Failures", "");
    for (const s of failed) {
      lines.push(
        `- ${s.cell} ${s.size}: ${s.runs - s.ok} of ${s.runs} runs failed: ${
          s.failures.join("; ")
        }`,
      );
    }
    lines.push("");
  }
  if ((results.limits ?? []).length > 0) {
    lines.push(
      "## The machine's limits (C, measured right before and right after the transports; the higher is the limit)",
      "",
      "| limits test | frame bytes | fps (min–max) | what it measures |",
      "|---|--:|--:|---|",
      ...results.limits.map((l) =>
        `| ${l.test} | ${l.frameBytes} | ${fmt(l.fps)} (${fmt(l.minFps)}–${fmt(l.maxFps)}) | ${
          LIMIT_TESTS[l.test] ?? ""
        } |`
      ),
      "",
    );
  }
  lines.push(
    "## Method",
    "",
    `- Each cell is a real server and client process, started from the same \`deno task\` a user runs by hand; the client echoes frames (send, wait for the whole frame back, verify every byte, next frame) for ${settings.warmup} s of warm-up, then ${settings.seconds} s measured.`,
    `- ${settings.runs} run(s) of each cell, interleaved (each repetition goes through every cell, rotated one place, so that drift on a noisy machine does not favour one transport); the table shows the median and the min–max of the runs.`,
    "- fps = round trips per second; MB/s = raw frame bytes one way per second; round trip = send to last byte received back; CPU = user + system time per frame of the client process, and of the server process from its ready line to its exit (warm-up included).",
    `- vs baseline = this cell's median fps over the in-process baseline's in the same run. Study vs its baseline = the Python study's fps for the same design over its own baseline (${STUDY_BASELINE_FPS} fps at 1920x1080), to compare designs on like terms across machines.`,
    "- vs C limit = this cell's median fps over the matching limit of the machine, measured in C by the project's limits program (`limits/`, unless the bench was given another with --limits) in the same sitting (before and after the transports; the higher of the two, so that a slow moment of the machine does not flatter a transport): memcpy for the baseline, an echo over the same kind of socket for the transports, and for shared memory the same ring doing a verified echo's work (shm_futex_verify, shm_unix_verify: distinct frames copied into the slot, read and checked by both sides; shm_futex, the bare hand-off, is in the limits table for context).",
    "- A run that fails, hangs, or has a single frame that fails verification is marked failed and left out of the statistics.",
    "",
    "Transports:",
    "",
    ...results.cells.map((c) => `- ${c.name}: ${c.description}`),
    "",
    "Packages: " + Object.entries(m.packages).map(([k, v]) => `${k} ${v}`).join(", "),
    "",
  );
  return lines.join("\n");
}

/** `results.csv`: one row per run. */
export function csvReport(results: BenchResults): string {
  const header = [
    "cell",
    "transport",
    "variant",
    "size",
    "run",
    "status",
    "fps",
    "mb_per_s",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "max_ms",
    "cpu_ms_per_frame",
    "server_cpu_ms_per_frame",
    "frames",
    "seconds",
    "verified",
    "errors",
    "reason",
  ];
  const quote = (v: unknown) => {
    const text = v === undefined || v === null ? "" : String(v);
    return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const rows = results.runs.map((r) => {
    const rec = r.record;
    const server = r.server && r.server.frames > 0 ? r.server.cpuMs / r.server.frames : undefined;
    return [
      r.cell,
      r.transport,
      rec?.variant,
      r.size,
      r.run,
      r.status,
      rec?.fps,
      rec?.mbPerS,
      rec?.latencyMs.p50,
      rec?.latencyMs.p90,
      rec?.latencyMs.p99,
      rec?.latencyMs.max,
      rec?.cpuMsPerFrame,
      server,
      rec?.frames,
      rec?.seconds,
      rec?.verified,
      rec?.errors,
      r.reason,
    ].map(quote).join(",");
  });
  return [header.join(","), ...rows].join("\n") + "\n";
}

/** The compact table for the terminal. */
export function terminalTable(results: BenchResults): string {
  const rows = summarize(results).map((s) => [
    s.cell,
    s.size,
    s.ok === 0
      ? "failed"
      : `${fmt(s.fps.median)}${s.fps.n > 1 ? ` (${fmt(s.fps.min)}-${fmt(s.fps.max)})` : ""}`,
    ratio(s.vsBaseline),
    limitCell(s),
    s.ok === 0 ? "" : `${fmt(s.p50Ms)}/${fmt(s.p99Ms)}`,
    s.failures.length ? s.failures[0].slice(0, 60) : `${s.errors} errors`,
  ]);
  const head = [
    "transport",
    "size",
    "fps (min-max)",
    "vs base",
    "vs limit",
    "RTT p50/p99 ms",
    "notes",
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => i >= 2 && i <= 5 ? c.padStart(widths[i]) : c.padEnd(widths[i])).join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)].join("\n");
}

const escape = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/**
 * `chart.svg`: fps per cell as horizontal bars on a log scale, one panel per
 * size, with the min–max of the runs as a whisker and the value printed.
 */
export function svgChart(results: BenchResults): string {
  const summaries = summarize(results);
  const sizes = results.settings.sizes;
  const width = 960, left = 170, right = 90, row = 26, panelGap = 46, top = 84;
  const good = summaries.filter((s) => s.ok > 0);
  const maxFps = Math.max(10, ...good.map((s) => s.fps.max));
  const minFps = Math.min(1, ...good.map((s) => s.fps.min));
  const lo = Math.floor(Math.log10(minFps)), hi = Math.ceil(Math.log10(maxFps));
  const plot = width - left - right;
  const x = (fps: number) => left + ((Math.log10(Math.max(fps, 10 ** lo)) - lo) / (hi - lo)) * plot;
  const palette: Record<string, string> = {
    baseline: "#7f7f7f",
    zmq: "#d62728",
    shm: "#2ca02c",
    grpc: "#1f77b4",
    rest: "#ff7f0e",
  };
  const parts: string[] = [];
  let y = top;
  for (const size of sizes) {
    const panel = summaries.filter((s) => s.size === size);
    parts.push(`<text x="${left}" y="${y - 14}" class="h">${escape(size)}</text>`);
    for (let p = lo; p <= hi; p++) {
      const gx = x(10 ** p);
      parts.push(
        `<line x1="${gx}" y1="${y - 6}" x2="${gx}" y2="${y + panel.length * row}" class="grid"/>`,
        `<text x="${gx}" y="${y + panel.length * row + 14}" class="tick">${10 ** p}</text>`,
      );
    }
    for (const s of panel) {
      const color = palette[s.transport] ?? "#9467bd";
      parts.push(`<text x="${left - 8}" y="${y + 16}" class="label">${escape(s.cell)}</text>`);
      if (s.ok === 0) {
        parts.push(`<text x="${left + 4}" y="${y + 16}" class="fail">failed</text>`);
      } else {
        const w = Math.max(1, x(s.fps.median) - left);
        parts.push(
          `<rect x="${left}" y="${y + 4}" width="${w.toFixed(1)}" height="${
            row - 8
          }" fill="${color}" rx="2"/>`,
          `<line x1="${x(s.fps.min).toFixed(1)}" y1="${y + row / 2}" x2="${
            x(s.fps.max).toFixed(1)
          }" y2="${y + row / 2}" class="whisker"/>`,
          `<text x="${(x(s.fps.max) + 6).toFixed(1)}" y="${y + 16}" class="value">${
            fmt(s.fps.median)
          } fps</text>`,
        );
      }
      y += row;
    }
    y += panelGap;
  }
  const height = y - panelGap + 40;
  const m = results.machine;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
<style>
.t{font-size:17px;font-weight:bold}.s{font-size:12px;fill:#555}.h{font-size:14px;font-weight:bold}
.label{font-size:13px;text-anchor:end}.value{font-size:12px}.tick{font-size:11px;fill:#777;text-anchor:middle}
.grid{stroke:#ddd}.whisker{stroke:#222;stroke-width:1.5}.fail{font-size:12px;fill:#c00}
</style>
<rect width="100%" height="100%" fill="white"/>
<text x="16" y="24" class="t">framebench: echo round trips per second (log scale, higher is better)</text>
<text x="16" y="42" class="s">${
    escape(
      `${m.cpu}, ${m.cores} cores, Deno ${m.deno}, ${m.date}; median of ${results.settings.runs} run(s), whisker = min–max`,
    )
  }</text>
${parts.join("\n")}
</svg>
`;
}
