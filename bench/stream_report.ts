/**
 * The report's stream section: per transport and setting, what each
 * subscriber got (delivered fps, share of the frames published, drops), its
 * one-way latency and CPU, the publisher's rate and CPU; a chart of the
 * latency distribution per transport (`stream.svg`).
 *
 * @module
 */

import type { SubscriberRecord } from "../common/stream.ts";
import { type Spread, spread } from "./stats.ts";
import { type BenchResults, fmt, streamRuns } from "./summary.ts";
import type { StreamRun } from "./stream_runner.ts";
import { wireFps } from "./link.ts";

/** What a stream cell did at one setting and size over its runs (statistics over the good runs). */
export interface StreamSummary {
  /** Cell name. */
  cell: string;
  /** Transport name. */
  transport: string;
  /** Frame size. */
  size: string;
  /** Subscribers, slow ones among them. */
  subscribers: number;
  slow: number;
  /** Target rate. */
  targetFps: number | "max";
  /** What the publisher did with a slow subscriber. */
  overflow: string;
  /** Runs made, and how many were good. */
  runs: number;
  ok: number;
  /** The publisher's achieved rate. */
  publishedFps: Spread;
  /** Delivered fps of the subscribers that were not slow (every one of every good run). */
  deliveredFps: Spread;
  /** Lowest share of the published frames that a subscriber that was not slow got, per run. */
  worstShare: Spread;
  /** Share of the published frames that the slow subscribers got (NaN without any). */
  slowShare: number;
  /** Frames dropped, all subscribers of all runs. */
  dropped: number;
  /** Medians over the subscribers that were not slow: one-way latency. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  /** The largest one-way latency any of them saw. */
  maxMs: number;
  /** Medians: CPU ms per frame of the publisher and of a subscriber. */
  cpuPublisherMs: number;
  cpuSubscriberMs: number;
  /** Frames verified and failed, over every subscriber. */
  verified: number;
  errors: number;
  /** Why runs failed (distinct reasons). */
  failures: string[];
  /** The C limit it is judged against (at `max` only), and median delivered fps over it. */
  limitTest?: string;
  vsLimit: number;
}

const median = (values: number[]) => spread(values).median;

/** The subscribers of a run that were not deliberately slow. */
function fast(run: StreamRun): SubscriberRecord[] {
  return run.subscriberRecords.filter((r) => r.slowMs === 0);
}

const share = (r: SubscriberRecord) => r.published > 0 ? r.frames / r.published : NaN;

/** Summarizes every stream cell at every setting and size, in the cells' order. */
export function summarizeStream(results: BenchResults): StreamSummary[] {
  const stream = results.stream;
  if (!stream) return [];
  const all = streamRuns(results);
  const out: StreamSummary[] = [];
  for (const size of results.settings.sizes) {
    for (const cell of stream.cells) {
      for (const setting of stream.settings) {
        const runs = all.filter((r) =>
          r.cell === cell.name && r.size === size && r.subscribers === setting.subscribers &&
          r.targetFps === setting.fps
        );
        if (runs.length === 0) continue;
        const good = runs.filter((r) => r.status === "ok" && r.publisher);
        const subs = good.flatMap(fast);
        const slow = good.flatMap((r) => r.subscriberRecords.filter((s) => s.slowMs > 0));
        const frameBytes = subs[0]?.frameBytes;
        const limit = setting.fps === "max"
          ? results.limits.find((l) => l.test === cell.limit && l.frameBytes === frameBytes)
          : undefined;
        const delivered = spread(subs.map((s) => s.fps));
        // Across a link, the wire is the limit: its rate over the frame's bits.
        const wire = cell.link && frameBytes ? wireFps(cell.link.bitsPerSecond, frameBytes) : NaN;
        out.push({
          cell: cell.name,
          transport: cell.transport,
          size,
          subscribers: setting.subscribers,
          slow: runs[0].slow,
          targetFps: setting.fps,
          overflow: runs[0].overflow,
          runs: runs.length,
          ok: good.length,
          publishedFps: spread(good.map((r) => r.publisher!.fps)),
          deliveredFps: delivered,
          worstShare: spread(good.map((r) => Math.min(...fast(r).map(share)))),
          slowShare: slow.length ? median(slow.map(share)) : NaN,
          dropped: runs.reduce(
            (n, r) => n + r.subscriberRecords.reduce((m, s) => m + s.dropped, 0),
            0,
          ),
          p50Ms: median(subs.map((s) => s.latencyMs.p50)),
          p90Ms: median(subs.map((s) => s.latencyMs.p90)),
          p99Ms: median(subs.map((s) => s.latencyMs.p99)),
          maxMs: subs.length ? Math.max(...subs.map((s) => s.latencyMs.max)) : NaN,
          cpuPublisherMs: median(good.map((r) => r.publisher!.cpuMsPerFrame)),
          cpuSubscriberMs: median(subs.map((s) => s.cpuMsPerFrame)),
          verified: runs.reduce(
            (n, r) => n + r.subscriberRecords.reduce((m, s) => m + s.verified, 0),
            0,
          ),
          errors: runs.reduce(
            (n, r) => n + r.subscriberRecords.reduce((m, s) => m + s.errors, 0),
            0,
          ),
          failures: [
            ...new Set(runs.filter((r) => r.status !== "ok").map((r) => r.reason ?? "failed")),
          ],
          limitTest: cell.link ? `the ${cell.link.name} wire` : limit ? cell.limit : undefined,
          vsLimit: cell.link ? delivered.median / wire : limit ? delivered.median / limit.fps : NaN,
        });
      }
    }
  }
  return out;
}

const percent = (x: number) =>
  Number.isFinite(x) ? `${(x * 100).toFixed(x >= 0.995 ? 0 : 1)} %` : "–";

/** A setting as a reader says it: "4 subscribers (1 slow) at 60 fps". */
export function settingName(s: Pick<StreamSummary, "subscribers" | "slow" | "targetFps">): string {
  return `${s.subscribers} sub${s.subscribers === 1 ? "" : "s"}${
    s.slow ? ` (${s.slow} slow)` : ""
  } at ${s.targetFps === "max" ? "max" : `${s.targetFps} fps`}`;
}

/** The stream section of report.md, or "" when the stream mode did not run. */
export function streamMarkdown(results: BenchResults): string {
  const summaries = summarizeStream(results);
  if (summaries.length === 0 || !results.stream) return "";
  const lines = [
    "## Stream mode: one publisher, N subscribers",
    "",
    "Each run starts a publisher and its subscribers as real processes from the same `deno task` a user runs by hand (`<transport>:pub`, `<transport>:sub`). The publisher stamps each frame with its index and its publish time on the clock that the machine's processes share (CLOCK_MONOTONIC); every subscriber verifies every frame, counts the frames it never got (gaps in the index) and measures one-way latency (publish to received). " +
    `Slow subscribers do ${100} ms of work per frame. Delivered fps and latency are over the subscribers that were not slow; "worst share" is the lowest share of the published frames that one of them got (median over runs, min–max).`,
    "",
  ];
  for (const size of results.settings.sizes) {
    const rows = summaries.filter((s) => s.size === size);
    if (rows.length === 0) continue;
    lines.push(
      `### ${size}`,
      "",
      "| transport | setting | published fps | delivered fps per subscriber | worst share | slow ones' share | dropped | one way p50 / p99 / max ms | vs C limit | CPU ms/frame pub / sub | verified / failed |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const s of rows) {
      if (s.ok === 0) {
        lines.push(
          `| ${s.cell} | ${settingName(s)} | failed | | | | | | | | ${s.verified} / ${s.errors} |`,
        );
        continue;
      }
      const range = (sp: Spread, f: (x: number) => string) =>
        sp.n > 1 ? `${f(sp.median)} (${f(sp.min)}–${f(sp.max)})` : f(sp.median);
      lines.push(
        `| ${s.cell} | ${settingName(s)}, ${s.overflow} | ${fmt(s.publishedFps.median)} | **${
          range(s.deliveredFps, fmt)
        }** | ${range(s.worstShare, percent)} | ${percent(s.slowShare)} | ${s.dropped} | ${
          fmt(s.p50Ms)
        } / ${fmt(s.p99Ms)} / ${fmt(s.maxMs)} | ${
          s.limitTest ? `${s.vsLimit.toFixed(2)}x ${s.limitTest}` : "–"
        } | ${fmt(s.cpuPublisherMs)} / ${fmt(s.cpuSubscriberMs)} | ${s.verified} / ${s.errors} |`,
      );
    }
    lines.push("");
  }
  const failed = summaries.filter((s) => s.failures.length > 0);
  if (failed.length) {
    lines.push("Failed stream runs:", "");
    for (const s of failed) {
      lines.push(`- ${s.cell} ${s.size} ${settingName(s)}: ${s.failures.join("; ")}`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

/** The compact stream table for the terminal, or "" when the stream mode did not run. */
export function streamTerminalTable(results: BenchResults): string {
  const summaries = summarizeStream(results);
  if (summaries.length === 0) return "";
  const head = [
    "stream",
    "size",
    "setting",
    "pub fps",
    "sub fps",
    "worst share",
    "p50/p99 ms",
    "notes",
  ];
  const rows = summaries.map((s) => [
    s.cell,
    s.size,
    settingName(s),
    s.ok ? fmt(s.publishedFps.median) : "failed",
    s.ok ? fmt(s.deliveredFps.median) : "",
    s.ok ? percent(s.worstShare.median) : "",
    s.ok ? `${fmt(s.p50Ms)}/${fmt(s.p99Ms)}` : "",
    s.failures.length ? s.failures[0].slice(0, 60) : `${s.dropped} dropped, ${s.errors} errors`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => i >= 3 && i <= 6 ? c.padStart(widths[i]) : c.padEnd(widths[i])).join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)].join("\n");
}

const escape = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/**
 * `stream.svg`: one-way latency per transport and setting on a log scale: a
 * bar to the median, a lighter one to p99, a tick at the max; the worst
 * subscriber's share of the frames printed beside it.
 */
export function streamChart(results: BenchResults): string {
  const summaries = summarizeStream(results).filter((s) => s.ok > 0);
  const width = 960, left = 290, right = 150, row = 24, top = 70;
  const lo = Math.floor(Math.log10(Math.max(0.01, Math.min(1, ...summaries.map((s) => s.p50Ms)))));
  const hi = Math.ceil(Math.log10(Math.max(10, ...summaries.map((s) => s.maxMs))));
  const plot = width - left - right;
  const x = (ms: number) => left + ((Math.log10(Math.max(ms, 10 ** lo)) - lo) / (hi - lo)) * plot;
  const parts: string[] = [];
  const bottom = top + summaries.length * row;
  for (let p = lo; p <= hi; p++) {
    parts.push(
      `<line x1="${x(10 ** p)}" y1="${top - 6}" x2="${x(10 ** p)}" y2="${bottom}" class="grid"/>`,
      `<text x="${x(10 ** p)}" y="${bottom + 14}" class="tick">${10 ** p} ms</text>`,
    );
  }
  summaries.forEach((s, i) => {
    const y = top + i * row;
    parts.push(
      `<text x="${left - 8}" y="${y + 15}" class="label">${
        escape(`${s.cell} ${s.size}, ${settingName(s)}`)
      }</text>`,
      `<rect x="${left}" y="${y + 4}" width="${(x(s.p99Ms) - left).toFixed(1)}" height="${
        row - 8
      }" fill="#9ecae1" rx="2"/>`,
      `<rect x="${left}" y="${y + 4}" width="${(x(s.p50Ms) - left).toFixed(1)}" height="${
        row - 8
      }" fill="#3182bd" rx="2"/>`,
      `<line x1="${x(s.maxMs).toFixed(1)}" y1="${y + 3}" x2="${x(s.maxMs).toFixed(1)}" y2="${
        y + row - 3
      }" class="max"/>`,
      `<text x="${(x(s.maxMs) + 6).toFixed(1)}" y="${y + 15}" class="value">${fmt(s.p50Ms)} / ${
        fmt(s.p99Ms)
      } ms, ${percent(s.worstShare.median)}</text>`,
    );
  });
  const height = bottom + 40;
  const m = results.machine;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
<style>
.t{font-size:17px;font-weight:bold}.s{font-size:12px;fill:#555}
.label{font-size:12px;text-anchor:end}.value{font-size:11px}.tick{font-size:11px;fill:#777;text-anchor:middle}
.grid{stroke:#ddd}.max{stroke:#222;stroke-width:2}
</style>
<rect width="100%" height="100%" fill="white"/>
<text x="16" y="24" class="t">framebench stream: one-way latency, publish to verified (log scale, lower is better)</text>
<text x="16" y="42" class="s">${
    escape(
      `${m.cpu}, ${m.cores} cores, Deno ${m.deno}, ${m.date}; dark: median, light: p99, tick: max; then the worst subscriber's share of the frames`,
    )
  }</text>
${parts.join("\n")}
</svg>
`;
}
