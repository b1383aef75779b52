/**
 * The report of a benchmark run as text: `report.md`, `results.csv` and the
 * compact terminal table (the chart is in chart.ts).
 *
 * @module
 */

import { STUDY_BASELINE_FPS } from "./cells.ts";
import { LIMIT_TESTS } from "./limits.ts";
import { linkSections } from "./link_report.ts";
import {
  type BenchResults,
  type CellSummary,
  fmt,
  fpsCell,
  limitCell,
  ratio,
  summarize,
} from "./summary.ts";

function sizeTitle(size: string, summaries: CellSummary[]): string {
  const bytes = summaries.find((s) => s.size === size && s.frameBytes > 0)?.frameBytes;
  return bytes ? `${size} rgb24 (${(bytes / 1e6).toFixed(2)} MB per frame)` : `${size} rgb24`;
}

/** Which side ran where, when servers ran on another machine (`--remote`, `--endpoints`). */
function remoteLines(results: BenchResults): string[] {
  const places = [...new Set(results.cells.flatMap((c) => c.remote ? [c.remote] : []))];
  if (places.length === 0) return [];
  return [
    `Where: the clients ran on this machine (above); the servers on another, started there by \`deno task serve\`, at ${
      places.join(", ")
    }.`,
    "",
  ];
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
    ...remoteLines(results),
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
    const acrossLinks = new Set(results.cells.filter((c) => c.link).map((c) => c.name));
    for (const s of summaries.filter((x) => x.size === size && !acrossLinks.has(x.cell))) {
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
  lines.push(...linkSections(results, summaries));
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
          LIMIT_TESTS[l.test] ?? (l.test.startsWith("echo_tcp over ")
            ? "echo over TCP across the shaped link (listening side in the servers' namespace), 16 MiB socket buffers, TCP_NODELAY"
            : "")
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
