import assert from "node:assert/strict";
import { Meter, percentile } from "./meter.ts";

function fakeMeter(warmupSeconds: number) {
  const clock = { now: 0, cpu: 0 };
  const meter = new Meter({
    frameBytes: 1_000_000,
    warmupSeconds,
    now: () => clock.now,
    cpuMicros: () => clock.cpu,
  });
  return { meter, clock };
}

Deno.test("percentile() uses the nearest rank", () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 0.5), 50);
  assert.equal(percentile(sorted, 0.9), 90);
  assert.equal(percentile(sorted, 0.99), 99);
  assert.equal(percentile(sorted, 1), 100);
  assert.equal(percentile([7], 0.5), 7);
  assert.equal(percentile([], 0.5), 0);
});

Deno.test("Meter does not count the warm-up and starts the clock when it ends", () => {
  const { meter, clock } = fakeMeter(1);
  meter.start();
  for (let t = 100; t < 1000; t += 100) {
    clock.now = t;
    meter.record(50);
  }
  assert.equal(meter.measuring, false);
  clock.now = 1000; // the first frame at or after the end of the warm-up starts the measurement
  clock.cpu = 5000;
  meter.record(99);
  assert.equal(meter.measuring, true);
  assert.equal(meter.warmupFrames, 10);
  for (let i = 1; i <= 100; i++) {
    clock.now = 1000 + i * 10; // 100 frames in one second
    clock.cpu = 5000 + i * 2000; // 2 ms of CPU each
    meter.record(i);
  }
  const s = meter.summary();
  assert.equal(s.frames, 100);
  assert.equal(s.seconds, 1);
  assert.equal(s.fps, 100);
  assert.equal(s.mbPerS, 100);
  assert.deepEqual(s.latencyMs, { p50: 50, p90: 90, p99: 99, max: 100 });
  assert.equal(s.cpuMsPerFrame, 2);
});

Deno.test("Meter with no warm-up measures from start()", () => {
  const { meter, clock } = fakeMeter(0);
  clock.now = 500;
  meter.start();
  clock.now = 750;
  meter.record(3);
  const s = meter.summary();
  assert.equal(s.frames, 1);
  assert.equal(s.seconds, 0.25);
  assert.equal(s.fps, 4);
});

Deno.test("Meter summary is all zeros before any measured frame", () => {
  const { meter } = fakeMeter(1);
  meter.start();
  const s = meter.summary();
  assert.deepEqual([s.frames, s.fps, s.mbPerS, s.latencyMs.max, s.cpuMsPerFrame], [0, 0, 0, 0, 0]);
});
