#!/usr/bin/env -S deno run --allow-run --allow-read --allow-write --allow-env --allow-ffi --allow-sys
/**
 * The runner: every transport head to head, as real processes, and a report.
 *
 *     deno task bench                                   # every transport, 1080p, 3 runs
 *     deno task bench --sizes 480p,1080p,4k --runs 5
 *     deno task bench --only shm,zmq --seconds 3 --out results/today
 *     deno task bench --quick                           # about a minute, for a first look
 *     deno task bench --compare results/a results/b     # what changed between two reports
 *     deno task bench --mode stream --subscribers 1,4 --fps 60,max --slow 1
 *
 * Permissions: --allow-run to start `Deno.execPath()`, the C compiler and the
 * limits program (whose paths are only known at run time, so they cannot be
 * listed), --allow-read/--allow-write for the result folder and the limits
 * program's build cache, --allow-ffi and --allow-env for sharp (the PNG chart),
 * --allow-sys for the machine description, --allow-net to check that the
 * servers of `--remote` are there.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { errorLine, runMain } from "../common/cli.ts";
import { numberFlag, UsageError } from "../common/flags.ts";
import { parseSize } from "../common/frame.ts";
import { type Cell, CELLS, selectCells } from "./cells.ts";
import { compareResults, readResults } from "./compare.ts";
import { defaultLimitsProgram, limitTests, measureLimits, mergeLimits } from "./limits.ts";
import { machineInfo } from "./machine.ts";
import { svgChart } from "./chart.ts";
import { csvReport, markdownReport, terminalTable } from "./report.ts";
import type { BenchResults } from "./summary.ts";
import { stopChildrenOnSignal } from "../testing/processes.ts";
import { runCells } from "./runner.ts";
import { STREAM_CELLS, type StreamCell } from "./stream_cells.ts";
import { streamChart, streamMarkdown, streamTerminalTable } from "./stream_report.ts";
import { runStreamCells, type StreamSetting } from "./stream_runner.ts";
import { fpsFlag } from "../common/stream_flags.ts";
import type { Overflow } from "../common/stream.ts";
import {
  linkCells,
  type LinkNetwork,
  linkStreamCells,
  measureLinkLimits,
  prepareLinks,
} from "./link.ts";
import { remoteServers } from "./remote.ts";

const HELP = `Usage: deno task bench [flags]
       deno task bench --compare FOLDER_A FOLDER_B

Runs every transport's server and client as real processes and writes a report.

Flags:
  --sizes LIST     frame sizes, comma-separated: 480p, 720p, 1080p, 4k or WxH (default 1080p)
  --runs N         repetitions of each cell, interleaved (default 3)
  --seconds S      seconds measured per run (default 5)
  --warmup S       seconds of warm-up per run (default 1)
  --only LIST      transports or cells to run, comma-separated (e.g. zmq,shm or "zmq ipc")
  --out FOLDER     where to write the report (default results/<date-time>)
  --limits PATH    the program that measures the machine's limits in C, or "off" (default:
                   limits/limits.c, built with cc -march=native on first use into
                   ~/.cache/framebench; without a C compiler the bench runs without them)
  --mode MODE      echo (the study's round trips), stream (one publisher, N subscribers)
                   or both (default both)
  --subscribers L  stream mode: subscriber counts, comma-separated (default 4)
  --fps LIST       stream mode: publisher rates, comma-separated numbers or max (default 60)
  --slow N         stream mode: make N of each setting's subscribers slow (100 ms of work
                   per frame; default 0)
  --overflow WHAT  stream mode: block or drop, for the transports that offer it (default:
                   each transport's own; the others are skipped)
  --link RATES     also run each TCP cell across shaped links, e.g. 1gbit,10gbit,100mbit: two
                   network namespaces joined by veth pairs shaped with tc (needs root, iproute2)
  --remote HOST    run the TCP cells' clients here against deno task serve on HOST
  --endpoints FILE the same against the servers named in FILE (the lines deno task serve printed)
  --quick          a first look in about a minute: 1 run of 1 s each at 1080p
  --compare        compare two result folders instead of running
  --help           print this help`;

/** Options for {@linkcode bench}. */
export interface BenchOptions {
  /** The echo cells to run. Default: every cell. */
  cells?: readonly Cell[];
  /** The stream mode: its cells and settings. Default: none, echo only. */
  stream?: {
    /** The stream cells to run. */
    cells: readonly StreamCell[];
    /** Subscribers and rates. */
    settings: StreamSetting[];
    /** Slow subscribers per setting. Default: 0. */
    slow?: number;
    /** What publishers do with a slow subscriber. Default: each transport's own. */
    overflow?: Overflow;
  };
  /** Frame sizes. Default: `["1080p"]`. */
  sizes?: string[];
  /** Repetitions. Default: 3. */
  runs?: number;
  /** Seconds measured per run. Default: 5. */
  seconds?: number;
  /** Seconds of warm-up per run. Default: 1. */
  warmup?: number;
  /** Folder for the outputs. Default: `results/<date-time>` in the project. */
  out?: string;
  /** The limits program to measure the machine's limits with (see limits.ts). Default: none. */
  limits?: string;
  /** Shaped links whose cells are among `cells`: their C echo is measured too (link.ts). Default: none. */
  links?: LinkNetwork;
  /** Seconds per repetition of a limits test. Default: 1. */
  limitSeconds?: number;
  /** How the run was started, for the report. Default: `deno task bench`. */
  command?: string;
  /** Progress lines. Default: a line on stderr per run. */
  progress?: (line: string) => void;
  /**
   * Stops the bench when aborted (Ctrl-C): the report then holds the runs that
   * finished, and no report is written when none did. Default: none.
   */
  signal?: AbortSignal;
}

/** What {@linkcode bench} did. */
export interface BenchOutcome {
  /** Every finished run, the limits and the machine. */
  results: BenchResults;
  /** The report's folder; undefined when it was interrupted before any run finished. */
  out?: string;
  /** Whether `signal` stopped it before every run was done. */
  interrupted: boolean;
}

/** Writes the PNG version of the chart with sharp (libvips); returns false if it cannot. */
async function writePng(svg: string, path: string): Promise<boolean> {
  try {
    const { default: sharp } = await import("sharp");
    await sharp(new TextEncoder().encode(svg), { density: 144 }).png().toFile(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs the cells and writes report.md, results.json, results.csv, chart.svg
 * and chart.png into `out` (those of the finished runs when interrupted).
 */
export async function bench(options: BenchOptions = {}): Promise<BenchOutcome> {
  const stamp = new Date().toISOString().replace(/:/g, "-").replace(/\.\d+Z$/, "");
  const out = options.out ?? `${new URL("../results/", import.meta.url).pathname}${stamp}`;
  const settings = {
    sizes: options.sizes ?? ["1080p"],
    runs: options.runs ?? 3,
    seconds: options.seconds ?? 5,
    warmup: options.warmup ?? 1,
  };
  const progress = options.progress ?? ((line: string) => console.error(line));
  // A cell whose library this machine lacks is skipped, with one line saying how to get it.
  const runnable = <C extends { name: string; missing?: () => string | undefined }>(c: C) => {
    const missing = c.missing?.();
    if (missing) progress(`bench: skipping "${c.name}": ${missing}`);
    return !missing;
  };
  const cells = [...(options.cells ?? CELLS)].filter(runnable);
  const overflow = options.stream?.overflow;
  const streamCells = (options.stream?.cells ?? []).filter(runnable).filter((c) => {
    if (!overflow || c.overflow.includes(overflow)) return true;
    progress(`bench: skipping stream "${c.name}": it offers --overflow ${c.overflow.join(", ")}`);
    return false;
  });
  const machine = await machineInfo(options.command ?? "deno task bench");
  const tests = limitTests(
    [...cells.filter((c) => !c.link), ...streamCells].map((c) => c.limit),
  );
  // The limits are measured right before and right after the transports, as
  // the machine's speed drifts (2x over a day was seen on shared VMs).
  const frameBytes = settings.sizes.map((size) => parseSize(size).frameBytes);
  const measure = async () =>
    options.limits
      ? [
        ...await measureLimits(
          options.limits,
          tests,
          frameBytes,
          options.limitSeconds ?? 1,
          progress,
        ),
        ...(options.links
          ? await measureLinkLimits(
            options.limits,
            options.links,
            frameBytes,
            options.limitSeconds ?? 1,
            progress,
          )
          : []),
      ]
      : [];
  const { signal } = options;
  const before = await measure();
  const { runs, interrupted } = await runCells(cells, {
    ...settings,
    signal,
    onProgress(line, done) {
      if (!done) return;
      const fps = done.record ? `${done.record.fps.toFixed(1)} fps` : "";
      progress(`${line}: ${done.status === "ok" ? fps : `FAILED: ${done.reason}`}`);
    },
  });
  const stream = options.stream && streamCells.length > 0 && !interrupted
    ? await runStreamCells(streamCells, {
      ...settings,
      settings: options.stream.settings,
      slow: options.stream.slow,
      overflow,
      signal,
      onProgress(line, done) {
        const subs = done.subscriberRecords.filter((s) => s.slowMs === 0);
        const worst = Math.min(...subs.map((s) => s.published ? s.frames / s.published : 0));
        progress(
          `${line}: ${
            done.status === "ok"
              ? `${done.publisher?.fps.toFixed(1)} fps published, worst subscriber got ${
                (worst * 100).toFixed(1)
              } %`
              : `FAILED: ${done.reason}`
          }`,
        );
      },
    })
    : undefined;
  const stopped = interrupted || (stream?.interrupted ?? false);
  const limits = mergeLimits(before, stopped ? [] : await measure());
  const results: BenchResults = {
    machine,
    settings,
    cells,
    runs: [...runs, ...(stream?.runs ?? [])],
    limits,
    ...(options.stream && streamCells.length > 0
      ? {
        stream: {
          cells: streamCells,
          settings: options.stream.settings,
          slow: options.stream.slow ?? 0,
          ...(overflow ? { overflow } : {}),
        },
      }
      : {}),
    ...(stopped ? { interrupted: true } : {}),
  };
  if (results.runs.length === 0 && stopped) return { results, interrupted: stopped };
  await Deno.mkdir(out, { recursive: true });
  const svg = svgChart(results);
  await Deno.writeTextFile(`${out}/results.json`, JSON.stringify(results, null, 2) + "\n");
  await Deno.writeTextFile(`${out}/results.csv`, csvReport(results));
  await Deno.writeTextFile(`${out}/chart.svg`, svg);
  const png = await writePng(svg, `${out}/chart.png`);
  let report = markdownReport(results) + `\n![fps per transport](chart.${png ? "png" : "svg"})\n`;
  const streamSection = streamMarkdown(results);
  if (streamSection) {
    const streamSvg = streamChart(results);
    await Deno.writeTextFile(`${out}/stream.svg`, streamSvg);
    const streamPng = await writePng(streamSvg, `${out}/stream.png`);
    report += `\n${streamSection}\n![one-way latency per transport](stream.${
      streamPng ? "png" : "svg"
    })\n`;
  }
  await Deno.writeTextFile(`${out}/report.md`, report);
  return { results, out, interrupted: stopped };
}

function list(value: unknown): string[] {
  return typeof value === "string" ? value.split(",").map((s) => s.trim()).filter(Boolean) : [];
}

if (import.meta.main) {
  const signal = stopChildrenOnSignal("bench");
  runMain("bench", async (args) => {
    let values: Record<string, string | boolean | undefined>, positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          sizes: { type: "string", default: "1080p" },
          runs: { type: "string", default: "3" },
          seconds: { type: "string", default: "5" },
          warmup: { type: "string", default: "1" },
          only: { type: "string" },
          mode: { type: "string", default: "both" },
          subscribers: { type: "string", default: "4" },
          fps: { type: "string", default: "60" },
          slow: { type: "string", default: "0" },
          overflow: { type: "string" },
          out: { type: "string" },
          limits: { type: "string" },
          link: { type: "string" },
          remote: { type: "string" },
          endpoints: { type: "string" },
          quick: { type: "boolean" },
          compare: { type: "boolean" },
          help: { type: "boolean" },
        },
      }));
    } catch (error) {
      throw new UsageError(errorLine(error).split(/\.\s/)[0].replace(/'/g, ""));
    }
    if (values.help) return console.log(HELP);
    if (values.compare) {
      if (positionals.length !== 2) throw new UsageError("--compare takes two result folders");
      const [a, b] = await Promise.all(positionals.map(readResults));
      console.log(compareResults(a, b));
      return;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const sizes = list(values.sizes);
    for (const size of sizes) {
      try {
        parseSize(size);
      } catch (error) {
        throw new UsageError(`--sizes: ${(error as Error).message}`);
      }
    }
    const mode = values.mode as string;
    if (!["echo", "stream", "both"].includes(mode)) {
      throw new UsageError(`--mode must be echo, stream or both, got "${mode}"`);
    }
    let cells: Cell[];
    let streamCells: StreamCell[];
    try {
      const known = [...CELLS, ...STREAM_CELLS];
      cells = mode === "stream" ? [] : selectCells(CELLS, list(values.only), known);
      streamCells = mode === "echo" ? [] : selectCells(STREAM_CELLS, list(values.only), known);
    } catch (error) {
      throw new UsageError(`--only: ${(error as Error).message}`);
    }
    const subscribers = list(values.subscribers).map((n) =>
      numberFlag("subscribers", n, { integer: true })
    );
    const rates = list(values.fps).map(fpsFlag);
    const slow = numberFlag("slow", values.slow, { integer: true, inclusive: true });
    const overflow = values.overflow as Overflow | undefined;
    if (overflow !== undefined && overflow !== "block" && overflow !== "drop") {
      throw new UsageError(`--overflow must be block or drop, got "${overflow}"`);
    }
    if (subscribers.length === 0 || rates.length === 0) {
      throw new UsageError("--subscribers and --fps need one value at least");
    }
    const quick = values.quick === true;
    const given = values.limits as string | undefined;
    if (given !== undefined && given !== "off") {
      try {
        await Deno.stat(given);
      } catch {
        throw new UsageError(`--limits: no program at "${given}"`);
      }
    }
    const limits = given === "off"
      ? undefined
      : given ?? await defaultLimitsProgram((line) => console.error(line));
    if (values.remote !== undefined || values.endpoints !== undefined) {
      if (mode === "stream") {
        throw new UsageError("--remote and --endpoints measure the echo cells, not --mode stream");
      }
      streamCells = []; // the stream mode measures this machine's processes only
      cells = await remoteServers(cells, values, (line) => console.error(line));
    }
    const links = values.link === undefined
      ? undefined
      : await prepareLinks(values.link as string, (line) => console.error(line));
    if (links) {
      cells = [...cells, ...linkCells(cells, links)];
      streamCells = [...streamCells, ...linkStreamCells(streamCells, links)];
    }
    const { results, out, interrupted } = await bench({
      cells,
      stream: {
        cells: streamCells,
        settings: subscribers.flatMap((n) => rates.map((fps) => ({ subscribers: n, fps }))),
        slow,
        overflow,
      },
      links,
      sizes: sizes.length ? sizes : ["1080p"],
      runs: quick ? 1 : numberFlag("runs", values.runs, { integer: true }),
      seconds: quick ? 1 : numberFlag("seconds", values.seconds),
      warmup: quick ? 0.5 : numberFlag("warmup", values.warmup, { inclusive: true }),
      out: values.out as string | undefined,
      limits,
      limitSeconds: quick ? 0.3 : 1,
      command: ["deno task bench", ...args].join(" "),
      signal,
    }).finally(() => links?.remove());
    if (!out) {
      console.error("bench: interrupted before any run finished: no report written");
      return 130;
    }
    if (cells.length > 0) console.log(terminalTable(results));
    const streamTable = streamTerminalTable(results);
    if (streamTable) console.log(`\n${streamTable}`);
    console.log(`\nreport: ${out}/report.md`);
    if (interrupted) {
      console.error(
        `bench: interrupted: the report holds the ${results.runs.length} finished run(s)`,
      );
      return 130;
    }
    const failed = results.runs.filter((r) => r.status !== "ok").length;
    if (failed > 0) {
      console.error(`bench: ${failed} of ${results.runs.length} runs failed (see the report)`);
      return 1;
    }
  });
}
