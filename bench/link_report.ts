/**
 * The report's section per shaped link (`deno task bench --link`): each TCP
 * transport's fps across it against what the wire allows, and which wins.
 *
 * @module
 */

import { wireFps } from "./link.ts";
import { type BenchResults, type CellSummary, fmt, fpsCell, ratio } from "./summary.ts";

/** The links of a run's cells, in order, each once. */
function linksOf(results: BenchResults): { name: string; bitsPerSecond: number }[] {
  const seen = new Map<string, { name: string; bitsPerSecond: number }>();
  for (const cell of results.cells) if (cell.link) seen.set(cell.link.name, cell.link);
  return [...seen.values()];
}

/**
 * Markdown: a section per link and size, from the summaries of every cell.
 * Empty when no cell ran across a link.
 */
export function linkSections(results: BenchResults, summaries: CellSummary[]): string[] {
  const lines: string[] = [];
  for (const link of linksOf(results)) {
    const cells = results.cells.filter((c) => c.link?.name === link.name);
    const where = cells[0];
    for (const size of results.settings.sizes) {
      const rows = summaries.filter((s) => s.size === size && cells.some((c) => c.name === s.cell));
      if (rows.length === 0) continue;
      const bytes = rows.find((s) => s.frameBytes > 0)?.frameBytes ?? NaN;
      const wire = wireFps(link.bitsPerSecond, bytes);
      const echo = results.limits.find((l) => l.test === where.limit && l.frameBytes === bytes);
      const mbPerS = link.bitsPerSecond / 8 / 1e6;
      lines.push(
        `## Across a ${link.name} link, ${size} (${fmt(bytes / 1e6)} MB per frame)`,
        "",
        `Servers in network namespace \`${where.server?.netns}\`, clients in \`${where.client.netns}\`, joined by a veth pair shaped with tc tbf to ${link.name} each way. The wire carries ${
          fmt(mbPerS)
        } MB/s each way: **${
          fmt(wire)
        } frames/s one way**. An echo with one frame in flight sends each frame across twice, one crossing after the other, so it reaches at most half of that (${
          fmt(wire / 2)
        } round trips/s); frames in flight (grpc stream) can use both directions at once.${
          echo ? ` The C echo (echo_tcp) across this link: ${fmt(echo.fps)} fps.` : ""
        }`,
        "",
        `| transport | fps, median (min–max) | MB/s one way | vs wire one way (${
          fmt(wire)
        } fps) | vs C echo across the link | round trip p50 / p99 ms | frames verified / failed |`,
        "|---|--:|--:|--:|--:|--:|--:|",
        ...rows.map((s) =>
          `| ${s.cell} | ${fpsCell(s)} | ${fmt(s.mbPerS)} | ${ratio(s.fps.median / wire)} | ${
            ratio(s.vsLimit)
          } | ${fmt(s.p50Ms)} / ${fmt(s.p99Ms)} | ${s.verified} / ${s.errors} |`
        ),
        "",
      );
      const good = rows.filter((s) => s.ok > 0).sort((a, b) => b.fps.median - a.fps.median);
      if (good.length > 0) {
        const [first, second] = good;
        const overlap = second && second.fps.max >= first.fps.min && first.fps.n > 1;
        lines.push(
          `Fastest across ${link.name}: **${first.cell}** (${fmt(first.fps.median)} fps${
            second ? `; next ${second.cell}, ${fmt(second.fps.median)} fps` : ""
          }${overlap ? ", within the noise of the runs" : ""}).`,
          "",
        );
      }
    }
  }
  return lines;
}
