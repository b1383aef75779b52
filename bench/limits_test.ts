import assert from "node:assert/strict";
import { CELLS } from "./cells.ts";
import {
  defaultLimitsProgram,
  LIMIT_TESTS,
  limitTests,
  measureLimits,
  mergeLimits,
  parseLimitLine,
} from "./limits.ts";

Deno.test("parseLimitLine() reads the limits program's line", () => {
  assert.deepEqual(
    parseLimitLine(
      "test=echo_unix bytes=6220800 fps=1253.3 min_fps=1230.5 max_fps=1291.5 gb_per_s=7.795 reps=3\n",
    ),
    { test: "echo_unix", frameBytes: 6220800, fps: 1253.3, minFps: 1230.5, maxFps: 1291.5 },
  );
  assert.throws(
    () => parseLimitLine("usage: limits TEST FRAME_BYTES"),
    /not a line of the limits program/,
  );
  assert.throws(() => parseLimitLine("test=memcpy bytes=10"), /printed no fps/);
});

Deno.test("measureLimits() leaves out a test that cannot run and says why", async () => {
  const said: string[] = [];
  const limits = await measureLimits(
    "/nonexistent/limits",
    ["memcpy"],
    [100],
    0.1,
    (l) => said.push(l),
  );
  assert.deepEqual(limits, []);
  assert.match(said.join("\n"), /limit: memcpy 100 failed/);
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

Deno.test("shared memory is judged against the ring doing a verified echo's work", () => {
  const limitOf = (name: string) => CELLS.find((c) => c.name === name)?.limit;
  assert.equal(limitOf("shm futex"), "shm_futex_verify");
  assert.equal(limitOf("shm zmq"), "shm_unix_verify");
  assert.equal(limitOf("zmq ipc"), "echo_unix");
  assert.equal(limitOf("baseline"), "memcpy");
});

Deno.test("limitTests() measures each judging test once, the bare shm hand-off beside it", () => {
  const tests = limitTests(CELLS.map((c) => c.limit));
  assert.deepEqual(tests, [
    "memcpy",
    "echo_unix",
    "echo_tcp",
    "shm_futex_verify",
    "shm_futex",
    "shm_unix_verify",
  ]);
  for (const test of tests) assert.ok(LIMIT_TESTS[test], `no description of ${test}`);
  assert.deepEqual(limitTests([undefined, "echo_tcp", "echo_tcp"]), ["echo_tcp"]);
});

Deno.test("defaultLimitsProgram() without a C compiler says so in one line and gives none", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "framebench-limits-" });
  try {
    const said: string[] = [];
    const program = await defaultLimitsProgram((l) => said.push(l), {
      cacheDir,
      compiler: "/nonexistent/cc",
    });
    assert.equal(program, undefined);
    assert.equal(said.length, 1, said.join("\n"));
    assert.match(
      said[0],
      /^limits: no C compiler found \(tried \/nonexistent\/cc\).*apt-get install gcc.*no "vs C limit" column$/,
    );
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});
