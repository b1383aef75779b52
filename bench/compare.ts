/**
 * `--compare A B`: what changed, per cell and size, between two result
 * folders, with changes inside the noise marked as such.
 *
 * @module
 */

import { type BenchResults, fmt, summarize } from "./summary.ts";
import { change } from "./stats.ts";

/** Reads `results.json` from a result folder. */
export async function readResults(folder: string): Promise<BenchResults> {
  const path = `${folder.replace(/\/$/, "")}/results.json`;
  try {
    return JSON.parse(await Deno.readTextFile(path)) as BenchResults;
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message.split("\n")[0]}`);
  }
}

/** The comparison table of two runs, as text: one line per cell and size found in both. */
export function compareResults(a: BenchResults, b: BenchResults): string {
  const before = summarize(a), after = summarize(b);
  const rows: string[][] = [];
  for (const s of after) {
    const old = before.find((o) => o.cell === s.cell && o.size === s.size);
    if (!old) {
      rows.push([s.cell, s.size, "–", fmt(s.fps.median), "new", ""]);
      continue;
    }
    if (old.ok === 0 || s.ok === 0) {
      rows.push([
        s.cell,
        s.size,
        old.ok ? fmt(old.fps.median) : "failed",
        s.ok ? fmt(s.fps.median) : "failed",
        "",
        "",
      ]);
      continue;
    }
    const c = change(old.fps, s.fps);
    const pct = `${c.ratio >= 0 ? "+" : ""}${(c.ratio * 100).toFixed(1)}%`;
    rows.push([
      s.cell,
      s.size,
      fmt(old.fps.median),
      fmt(s.fps.median),
      pct,
      c.withinNoise ? "within noise" : c.ratio > 0 ? "faster" : "slower",
    ]);
  }
  for (const o of before) {
    if (!after.some((s) => s.cell === o.cell && s.size === o.size)) {
      rows.push([o.cell, o.size, fmt(o.fps.median), "–", "gone", ""]);
    }
  }
  const head = ["transport", "size", "fps A", "fps B", "change", ""];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ")
      .trimEnd();
  return [
    `A: ${a.machine.date} ${a.machine.cpu} (${a.settings.runs} runs)`,
    `B: ${b.machine.date} ${b.machine.cpu} (${b.settings.runs} runs)`,
    line(head),
    ...rows.map(line),
  ].join("\n");
}
