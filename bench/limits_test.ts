import assert from "node:assert/strict";
import { measureLimits, parseLimitLine } from "./limits.ts";

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
