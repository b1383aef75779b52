#!/usr/bin/env -S deno run --allow-run --allow-read --allow-env
/**
 * The soak: one server per transport kept up for a long time (10 minutes by
 * default) while clients run back to back against it; prints fps over time
 * and the server's resident memory, so that a leak or a slowdown shows.
 *
 *     deno task soak                       # every transport, 10 minutes each
 *     deno task soak --only zmq --minutes 2
 *
 * @module
 */

import { parseArgs } from "node:util";
import { errorLine, runMain } from "../common/cli.ts";
import { numberFlag, UsageError } from "../common/flags.ts";
import { CELLS, selectCells } from "./cells.ts";
import { runClient, startServer, stopChildrenOnSignal } from "./processes.ts";
import { spread } from "./stats.ts";

/** Resident memory of a process in MB, from `ps` (undefined if it is gone). */
export async function residentMB(pid: number): Promise<number | undefined> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "rss=", "-p", String(pid)],
    stderr: "null",
  })
    .output();
  const kb = Number(new TextDecoder().decode(out.stdout).trim());
  return out.success && kb > 0 ? kb / 1024 : undefined;
}

if (import.meta.main) {
  stopChildrenOnSignal("soak");
  runMain("soak", async (args) => {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: {
          only: { type: "string" },
          minutes: { type: "string", default: "10" },
          size: { type: "string", default: "1080p" },
          slice: { type: "string", default: "10" },
          help: { type: "boolean" },
        },
      }));
    } catch (error) {
      throw new UsageError(errorLine(error).split(/\.\s/)[0].replace(/'/g, ""));
    }
    if (values.help) {
      return console.log(
        "Usage: deno task soak [--only LIST] [--minutes 10] [--size 1080p] [--slice 10]\n\n" +
          "Keeps each transport's server up for --minutes while clients of --slice seconds run\n" +
          "back to back; prints fps and the server's memory after each client.",
      );
    }
    const minutes = numberFlag("minutes", values.minutes);
    const slice = numberFlag("slice", values.slice);
    const only = typeof values.only === "string" ? values.only.split(",").map((s) => s.trim()) : [];
    const cells = selectCells(CELLS, only).filter((c) => c.server);
    let failed = 0;
    for (const cell of cells) {
      const server = await startServer(cell.server!.launch, cell.server!.args);
      const start = performance.now();
      const fps: number[] = [];
      const memory: number[] = [];
      try {
        while (performance.now() - start < minutes * 60000) {
          const run = await runClient(cell.client.launch, [
            ...cell.client.args,
            ...["--size", values.size as string, "--seconds", String(slice), "--warmup", "0.5"],
          ], { timeoutMs: (slice + 30) * 1000 });
          const rss = await residentMB(server.child.pid);
          const t = ((performance.now() - start) / 1000).toFixed(0);
          if (!run.record || run.code !== 0) {
            failed++;
            console.log(
              `${cell.name} t=${t}s FAILED: ${
                run.record?.reason ?? run.stderr.trim().split("\n").pop()
              }`,
            );
            continue;
          }
          fps.push(run.record.fps);
          if (rss !== undefined) memory.push(rss);
          console.log(
            `${cell.name} t=${t}s fps=${
              run.record.fps.toFixed(1)
            } errors=${run.record.errors} server RSS=${rss?.toFixed(1) ?? "?"} MB`,
          );
          if (run.record.errors > 0) failed++;
        }
      } finally {
        await server.stop();
      }
      const f = spread(fps);
      console.log(
        `${cell.name}: fps median ${f.median.toFixed(1)} (min ${f.min.toFixed(1)}, max ${
          f.max.toFixed(1)
        }), ` +
          `server RSS first ${memory[0]?.toFixed(1)} MB, last ${memory.at(-1)?.toFixed(1)} MB`,
      );
    }
    return failed > 0 ? 1 : 0;
  });
}
