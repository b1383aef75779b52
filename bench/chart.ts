/**
 * The report's chart, `chart.svg`: fps per cell on a log scale.
 *
 * @module
 */

import { type BenchResults, fmt, summarize } from "./summary.ts";

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
