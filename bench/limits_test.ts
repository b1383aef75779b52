import assert from "node:assert/strict";
import { measureLimits, mergeLimits, parseLimitLine } from "./limits.ts";

Deno.test("parseLimitLine() reads fbench's output line", () => {
  assert.deepEqual(
    parseLimitLine(
      "test=echo_unix bytes=6220800 fps=1253.3 GBps_oneway=15.593 min_fps=1230.5 max_fps=1291.5 pipe_sz=0\n",
    ),
    { test: "echo_unix", frameBytes: 6220800, fps: 1253.3, minFps: 1230.5, maxFps: 1291.5 },
  );
  assert.throws(() => parseLimitLine("usage: fbench <test>"), /not an fbench line/);
  assert.throws(() => parseLimitLine("test=memcpy bytes=10"), /printed no fps/);
});

Deno.test("measureLimits() leaves out a test that cannot run and says why", async () => {
  const said: string[] = [];
  const limits = await measureLimits(
    "/nonexistent/fbench",
    ["memcpy"],
    [100],
    0.1,
    (l) => said.push(l),
  );
  assert.deepEqual(limits, []);
  assert.match(said.join("\n"), /fbench memcpy 100 failed/);
});

Deno.test("mergeLimits() keeps the higher fps of each test and size, and the whole range", () => {
  const a = { test: "echo_unix", frameBytes: 10, fps: 540, minFps: 509, maxFps: 546 };
  const b = { test: "echo_unix", frameBytes: 10, fps: 1325, minFps: 1289, maxFps: 1328 };
  const c = { test: "memcpy", frameBytes: 10, fps: 9000, minFps: 8900, maxFps: 9100 };
  assert.deepEqual(mergeLimits([a, c], [b]), [
    { test: "echo_unix", frameBytes: 10, fps: 1325, minFps: 509, maxFps: 1328 },
    c,
  ]);
});
