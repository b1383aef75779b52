// The stream runner with real socket publishers and subscribers, small frames:
// the records it collects, the report it writes, and a cell that fails.
import assert from "node:assert/strict";
import { bench } from "./bench.ts";
import { STREAM_CELLS, type StreamCell } from "./stream_cells.ts";
import { runStreamCells, SLOW_MS } from "./stream_runner.ts";

const socketUnix = STREAM_CELLS.find((c) => c.name === "socket unix")!;

Deno.test("runStreamCells() collects the publisher's record and every subscriber's, slow ones first", async () => {
  const { runs, interrupted } = await runStreamCells([socketUnix], {
    sizes: ["480p"],
    settings: [{ subscribers: 2, fps: 30 }],
    slow: 1,
    overflow: "drop",
    runs: 1,
    seconds: 1.5,
    warmup: 0.5,
  });
  assert.equal(interrupted, false);
  assert.equal(runs.length, 1);
  const [run] = runs;
  assert.equal(run.status, "ok", run.reason ?? "");
  assert.deepEqual(
    [run.mode, run.cell, run.subscribers, run.slow, run.targetFps, run.overflow],
    ["stream", "socket unix", 2, 1, 30, "drop"],
  );
  const p = run.publisher!;
  assert.equal(p.role, "publisher");
  assert(p.published > 0 && p.fps > 0 && p.cpuMsPerFrame > 0, JSON.stringify(p));
  assert.equal(run.subscriberRecords.length, 2);
  const [slow, fast] = run.subscriberRecords;
  assert.deepEqual([slow.slowMs, fast.slowMs], [SLOW_MS, 0]);
  for (const s of [slow, fast]) {
    assert.equal(s.errors, 0);
    assert.equal(s.frames + s.dropped, s.published);
    for (const key of ["p50", "p90", "p99", "max"] as const) {
      assert(Number.isFinite(s.latencyMs[key]));
    }
    assert(s.cpuMsPerFrame > 0);
  }
  assert(slow.dropped > 0, "a slow subscriber under drop misses frames");
});

Deno.test("runStreamCells() marks a cell whose publisher fails with its reason and goes on", async () => {
  // A publisher that cannot start, and one whose subscribers find nothing at their endpoint.
  const broken: StreamCell = {
    ...socketUnix,
    name: "broken",
    publisher: { launch: "socket:pub", args: ["--endpoint", "ipc:///tmp/nowhere"] },
  };
  const lonely: StreamCell = {
    ...socketUnix,
    name: "lonely",
    subscriber: {
      launch: "socket:sub",
      args: ["--endpoint", "unix:///tmp/framebench-nowhere.sock"],
    },
  };
  const { runs } = await runStreamCells([broken, lonely, socketUnix], {
    sizes: ["480p"],
    settings: [{ subscribers: 1, fps: 30 }],
    runs: 1,
    seconds: 0.5,
    warmup: 0,
  });
  assert.deepEqual(runs.map((r) => [r.cell, r.status]), [
    ["broken", "failed"],
    ["lonely", "failed"],
    ["socket unix", "ok"],
  ]);
  assert.match(
    runs[1].reason ?? "",
    /subscriber 1: no record \(exit code 1\): .*nothing listens at/,
  );
  assert.match(
    runs[0].reason ?? "",
    /socket:pub exited with code 2 before it was ready: .*--endpoint/,
  );
});

Deno.test("bench() in the stream mode writes the stream section, its chart and the runs in results.json", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { results } = await bench({
      cells: [],
      stream: { cells: [socketUnix], settings: [{ subscribers: 1, fps: "max" }] },
      sizes: ["480p"],
      runs: 1,
      seconds: 0.5,
      warmup: 0,
      out,
      progress: () => {},
    });
    assert.equal(results.runs.length, 1);
    const saved = JSON.parse(await Deno.readTextFile(`${out}/results.json`));
    assert.equal(saved.runs[0].mode, "stream");
    assert.equal(saved.stream.cells[0].name, "socket unix");
    const report = await Deno.readTextFile(`${out}/report.md`);
    assert.match(report, /## Stream mode: one publisher, N subscribers/);
    assert.match(report, /\| socket unix \| 1 sub at max, block \|/);
    assert.match(await Deno.readTextFile(`${out}/stream.svg`), /one-way latency/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
