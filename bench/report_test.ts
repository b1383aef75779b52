// The report writers on fixed input, against golden files. Set
// UPDATE_GOLDEN=1 to rewrite them after a deliberate change (and read the diff).
import assert from "node:assert/strict";
import type { ResultRecord } from "../common/record.ts";
import { compareResults } from "./compare.ts";
import { svgChart } from "./chart.ts";
import { csvReport, markdownReport, terminalTable } from "./report.ts";
import { type BenchResults, summarize } from "./summary.ts";
import type { CellRun } from "./runner.ts";

function record(fps: number, extra: Partial<ResultRecord> = {}): ResultRecord {
  return {
    transport: "x",
    variant: "v",
    endpoint: "e",
    width: 1920,
    height: 1080,
    format: "rgb24",
    frameBytes: 6220800,
    frames: fps * 5,
    seconds: 5,
    fps,
    mbPerS: fps * 6.2208,
    latencyMs: { p50: 1000 / fps, p90: 1100 / fps, p99: 1500 / fps, max: 2000 / fps },
    cpuMsPerFrame: 0.4,
    verified: fps * 6,
    errors: 0,
    errorKinds: {},
    status: "ok",
    runtime: { deno: "2.9.6", v8: "x", typescript: "x", platform: "linux x86_64", packages: {} },
    ...extra,
  };
}

function results(scale: number): BenchResults {
  const run = (cell: string, transport: string, n: number, fps: number): CellRun => ({
    cell,
    transport,
    size: "1080p",
    run: n,
    status: "ok",
    record: record(fps * scale),
    server: transport === "baseline"
      ? undefined
      : { event: "stopped", transport, frames: 1000, refused: 0, cpuMs: 1500 },
  });
  return {
    machine: {
      cpu: "Test CPU",
      cores: 2,
      memoryGiB: 24,
      kernel: "linux 6.1",
      deno: "2.9.6",
      v8: "15.0",
      typescript: "6.0",
      packages: { zeromq: "6.5.0" },
      date: "2026-11-25T12:00:00Z",
      command: "deno task bench --runs 3",
    },
    settings: { sizes: ["1080p"], runs: 3, seconds: 5, warmup: 1 },
    limits: [
      { test: "memcpy", frameBytes: 6220800, fps: 10000, minFps: 9900, maxFps: 10100 },
      { test: "echo_unix", frameBytes: 6220800, fps: 1000, minFps: 950, maxFps: 1050 },
      { test: "shm_futex_verify", frameBytes: 6220800, fps: 1500, minFps: 1400, maxFps: 1600 },
      { test: "shm_futex", frameBytes: 6220800, fps: 2200, minFps: 2100, maxFps: 2300 },
    ],
    cells: [
      {
        name: "baseline",
        transport: "baseline",
        description: "same process",
        client: { launch: "baseline", args: [] },
        limit: "memcpy",
        study: 105,
      },
      {
        name: "zmq ipc",
        transport: "zmq",
        description: "ZeroMQ",
        client: { launch: "zmq:client", args: [] },
        limit: "echo_unix",
        study: 50,
      },
      {
        name: "rest raw",
        transport: "rest",
        description: "HTTP",
        client: { launch: "rest:client", args: [] },
      },
    ],
    runs: [
      run("baseline", "baseline", 1, 2000),
      run("zmq ipc", "zmq", 1, 300),
      run("rest raw", "rest", 1, 100),
      run("zmq ipc", "zmq", 2, 320),
      run("rest raw", "rest", 2, 110),
      run("baseline", "baseline", 2, 2100),
      run("rest raw", "rest", 3, 90),
      run("baseline", "baseline", 3, 1900),
      {
        cell: "zmq ipc",
        transport: "zmq",
        size: "1080p",
        run: 3,
        status: "failed",
        reason: "hung: no result within 36 s",
      },
    ],
  };
}

async function golden(name: string, actual: string) {
  const path = new URL(`testdata/${name}`, import.meta.url);
  if (Deno.env.get("UPDATE_GOLDEN")) await Deno.writeTextFile(path, actual);
  assert.equal(actual, await Deno.readTextFile(path), `${name} differs from its golden file`);
}

Deno.test("summarize() takes medians over good runs and ratios to the baseline", () => {
  const [base, zmq, rest] = summarize(results(1));
  assert.deepEqual(base.fps, { median: 2000, min: 1900, max: 2100, n: 3 });
  assert.deepEqual([zmq.ok, zmq.runs, zmq.fps.median], [2, 3, 310]);
  assert.deepEqual(zmq.failures, ["hung: no result within 36 s"]);
  assert.equal(zmq.vsBaseline, 310 / 2000);
  assert.equal(zmq.studyVsBaseline, 50 / 105);
  assert.equal(zmq.cpuServerMs, 1.5);
  assert.equal(zmq.vsLimit, 310 / 1000);
  assert.equal(base.vsLimit, 2000 / 10000);
  assert.ok(Number.isNaN(rest.vsLimit), "no limit measured for it");
  assert.equal(rest.studyVsBaseline, undefined);
});

Deno.test("report.md matches its golden file", async () => {
  await golden("report.golden.md", markdownReport(results(1)));
});

Deno.test("results.csv matches its golden file", async () => {
  await golden("results.golden.csv", csvReport(results(1)));
});

Deno.test("chart.svg matches its golden file", async () => {
  await golden("chart.golden.svg", svgChart(results(1)));
});

Deno.test("the terminal table matches its golden file", async () => {
  await golden("terminal.golden.txt", terminalTable(results(1)) + "\n");
});

Deno.test("--compare marks changes inside the noise and outside it", () => {
  const text = compareResults(results(1), results(1.02));
  assert.match(text, /baseline\s+1080p\s+2000\s+2040\s+\+2\.0%\s+within noise/);
  const faster = compareResults(results(1), results(1.5));
  assert.match(faster, /rest raw\s+1080p\s+100\s+150\s+\+50\.0%\s+faster/);
});
