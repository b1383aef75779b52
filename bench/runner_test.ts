// The runner against stand-in transports (testing/testdata/fake_*.ts): one that
// succeeds, one that fails, one that hangs, one that prints garbage, one that
// reports failed frames, and a server that never gets ready.
import assert from "node:assert/strict";
import type { Cell } from "./cells.ts";
import { runCells, runOrder } from "./runner.ts";

const script = (
  name: string,
) => ["run", "--allow-env", new URL(`../testing/testdata/${name}`, import.meta.url).pathname];
const fake = (name: string, mode: string, server = "ok"): Cell => ({
  name,
  transport: "fake",
  description: `fake ${mode}`,
  server: { launch: { deno: script("fake_server.ts") }, args: ["--mode", server] },
  client: { launch: { deno: script("fake_client.ts") }, args: ["--mode", mode] },
});

Deno.test("runOrder() interleaves runs and rotates the cells", () => {
  const order = runOrder(["a", "b", "c"], ["480p"], 3).map((o) => `${o.cell}${o.run}`);
  assert.deepEqual(order, ["a1", "b1", "c1", "b2", "c2", "a2", "c3", "a3", "b3"]);
});

Deno.test("runCells() marks each failure with its reason and goes on", async () => {
  const cells = [
    fake("good", "ok"),
    fake("failing", "fail"),
    fake("hanging", "hang"),
    fake("garbage", "garbage"),
    fake("wrong frames", "errors"),
    fake("silent server", "ok", "silent"),
  ];
  const started = performance.now();
  const { runs, interrupted } = await runCells(cells, {
    sizes: ["64x48"],
    runs: 1,
    seconds: 0.1,
    warmup: 0,
    graceSeconds: 3,
  });
  assert.equal(interrupted, false);
  assert.ok(performance.now() - started < 60000);
  const by = Object.fromEntries(runs.map((r) => [r.cell, r]));
  assert.equal(by["good"].status, "ok");
  assert.equal(by["good"].record?.fps, 100);
  assert.equal(by["good"].server?.frames, 200, "the server's stopped line is read");
  assert.equal(by["failing"].status, "failed");
  assert.equal(by["failing"].reason, "the server went away");
  assert.equal(by["hanging"].status, "failed");
  assert.match(by["hanging"].reason!, /hung: no result within 3.1 s/);
  assert.equal(by["garbage"].status, "failed");
  assert.match(by["garbage"].reason!, /no result record \(exit code 0\)/);
  assert.equal(by["wrong frames"].status, "failed");
  assert.match(by["wrong frames"].reason!, /2 frames failed \(first: frame 7: torn\)/);
  assert.equal(by["silent server"].status, "failed");
  assert.match(by["silent server"].reason!, /printed no ready line/);
});

Deno.test("runCells() stops at a client interrupted by a Ctrl-C (exit code 130) and leaves that run out", async () => {
  const cells = [fake("good", "ok"), fake("interrupted", "interrupted"), fake("after", "ok")];
  const { runs, interrupted } = await runCells(cells, {
    sizes: ["64x48"],
    runs: 1,
    seconds: 0.1,
    warmup: 0,
  });
  assert.equal(interrupted, true);
  assert.deepEqual(runs.map((r) => `${r.cell} ${r.status}`), ["good ok"]);
});

Deno.test("runCells() runs nothing once its signal has aborted", async () => {
  const controller = new AbortController();
  controller.abort();
  const { runs, interrupted } = await runCells([fake("good", "ok")], {
    sizes: ["64x48"],
    signal: controller.signal,
  });
  assert.equal(interrupted, true);
  assert.deepEqual(runs, []);
});

Deno.test("bench() skips a cell whose library is missing, with one line saying how to get it", async () => {
  const { bench } = await import("./bench.ts");
  const out = await Deno.makeTempDir();
  const lines: string[] = [];
  try {
    const missing = {
      ...fake("needs python", "ok"),
      missing: () => "needs a thing (apt-get install thing)",
    };
    const { results } = await bench({
      cells: [fake("good", "ok"), missing],
      sizes: ["64x48"],
      runs: 1,
      seconds: 0.1,
      warmup: 0,
      out,
      progress: (line) => lines.push(line),
    });
    assert.deepEqual(results.runs.map((r) => r.cell), ["good"]);
    assert.deepEqual(results.cells.map((c) => c.name), ["good"]);
    assert.deepEqual(lines.filter((l) => l.includes("skipping")), [
      'bench: skipping "needs python": needs a thing (apt-get install thing)',
    ]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the Python grpcio reference row is a reference, skipped where grpcio is missing", async () => {
  const { CELLS } = await import("./cells.ts");
  const python = CELLS.find((c) => c.name === "grpc python (grpcio)")!;
  assert.equal(python.reference, true);
  const missing = python.missing!();
  assert.ok(
    missing === undefined || /apt-get install python3-grpcio python3-grpc-tools/.test(missing),
  );
  assert.ok(CELLS.filter((c) => c.transport === "grpc" && !c.reference).length === 4);
});
