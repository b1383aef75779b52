// The limits program (limits.c) as a user runs it: one line per test, one
// line and exit code 2 for bad input, and no process left behind, however it
// ends. Tiny frames and 0.05 s repetitions keep it fast; no speed is asserted.
import assert from "node:assert/strict";
import { LIMIT_TESTS, parseLimitLine } from "./output.ts";
import { buildLimits } from "./build.ts";
import { compilerPresent } from "./testdata/compiler.ts";

const ignore = !(await compilerPresent());
const cacheDir = await Deno.makeTempDir({ prefix: "framebench-limits-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(cacheDir, { recursive: true }));
const program = ignore ? "" : (await buildLimits({ cacheDir })).path;

const TESTS = [
  "memcpy",
  "memcpy_pool",
  "readsum",
  "readsum_pool",
  "echo_unix",
  "echo_tcp",
  "stream_unix",
  "stream_tcp",
  "shm_futex",
  "shm_unix",
  "shm_futex_verify",
  "shm_unix_verify",
];

/** Small pools (the default is at least the cache size), so the pool tests stay fast. */
const SMALL_POOL = { LIMITS_POOL_MIB: "2" };

async function run(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(program, { args, env, stdin: "null" }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** `ps` prints these fields of the processes chosen by `select` (Deno may not read /proc itself). */
function ps(select: string[], field: string): string[] {
  const out = new Deno.Command("ps", { args: [...select, "-o", `${field}=`] }).outputSync();
  return new TextDecoder().decode(out.stdout).split("\n").map((l) => l.trim()).filter(Boolean);
}

/** Running, not gone and not a zombie (dead, not yet reaped). */
const alive = (pid: number) =>
  !["", "Z", "X"].includes(ps(["-p", String(pid)], "stat")[0]?.[0] ?? "");

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `promise`, or a rejection after `ms` milliseconds, so that a test fails rather than hangs. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

interface LongRun {
  child: Deno.ChildProcess;
  /** The pid of its second process. */
  peer: number;
  /** Its output, once both it and its second process have ended (they hold the pipes). */
  output: Promise<[string, string]>;
}

/**
 * Starts a long run of `test`, waits for its second process, and gives both
 * to `fn`. Whatever `fn` leaves running is killed afterwards, so that a
 * failing test leaves nothing behind either.
 */
async function withLongRun(test: string, fn: (run: LongRun) => Promise<void>): Promise<void> {
  const child = new Deno.Command(program, {
    args: [test, "65536", "30"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  let peer = 0;
  try {
    const children = () => ps(["--ppid", String(child.pid)], "pid");
    await until("the second process", () => children().length > 0);
    peer = Number(children()[0]);
    await fn({ child, peer, output });
  } finally {
    if (alive(child.pid)) child.kill("SIGKILL");
    if (peer && alive(peer)) Deno.kill(peer, "SIGKILL");
    await child.status;
    await output;
  }
}

Deno.test({
  name: "limits --help lists its tests, and the report describes each",
  ignore,
  async fn() {
    const { code, stdout } = await run(["--help"]);
    assert.equal(code, 0);
    const listed = stdout.match(/^tests: (.*)$/m)?.[1].split(", ");
    assert.deepEqual(listed, TESTS);
    assert.deepEqual(Object.keys(LIMIT_TESTS).sort(), [...TESTS].sort());
  },
});

for (const test of TESTS) {
  Deno.test({
    name: `limits ${test} prints one line with the median and spread of its repetitions`,
    ignore,
    async fn() {
      // 4099 bytes: not a whole number of 8-byte words, so the tail is read too.
      const { code, stdout, stderr } = await run([test, "4099", "0.05"], SMALL_POOL);
      assert.equal(code, 0, stderr);
      assert.equal(stderr, "");
      const lines = stdout.trim().split("\n");
      assert.equal(lines.length, 1, stdout);
      const limit = parseLimitLine(lines[0]);
      assert.equal(limit.test, test);
      assert.equal(limit.frameBytes, 4099);
      assert.ok(limit.fps > 0 && limit.minFps <= limit.fps && limit.fps <= limit.maxFps, stdout);
      assert.match(lines[0], / reps=3 seconds=0\.05( |$)/);
    },
  });
}

Deno.test({
  name:
    "limits with frames of fewer bytes than a word (the stream's number and the sums still hold)",
  ignore,
  async fn() {
    for (const test of ["stream_unix", "shm_unix_verify", "echo_tcp"]) {
      const { code, stdout, stderr } = await run([test, "3", "0.02"]);
      assert.equal(code, 0, stderr);
      assert.equal(parseLimitLine(stdout).frameBytes, 3);
    }
  },
});

const BAD: [string[], RegExp, Record<string, string>?][] = [
  [[], /^limits: usage: limits TEST FRAME_BYTES \[SECONDS\] \(tests: memcpy, /],
  [["memcpy"], /^limits: usage: /],
  [["memcpy", "64", "1", "extra"], /^limits: usage: /],
  [["nope", "64"], /^limits: unknown test "nope" \(tests: memcpy, .*shm_unix_verify\)$/],
  [["memcpy", "0"], /^limits: FRAME_BYTES must be a whole number from 1 to 1073741824, got "0"$/],
  [["memcpy", "-8"], /FRAME_BYTES .* got "-8"$/],
  [["memcpy", "1e3"], /FRAME_BYTES .* got "1e3"$/],
  [["memcpy", "64x"], /FRAME_BYTES .* got "64x"$/],
  [["memcpy", "1073741825"], /FRAME_BYTES .* got "1073741825"$/],
  [["memcpy", "99999999999999999999999"], /FRAME_BYTES .* got "9+"$/],
  [["memcpy", "64", "0"], /^limits: SECONDS must be a number above 0 and at most 3600, got "0"$/],
  [["memcpy", "64", "-1"], /SECONDS .* got "-1"$/],
  [["memcpy", "64", "nan"], /SECONDS .* got "nan"$/],
  [["memcpy", "64", "inf"], /SECONDS .* got "inf"$/],
  [["memcpy", "64", "3601"], /SECONDS .* got "3601"$/],
  [["memcpy", "64", "1s"], /SECONDS .* got "1s"$/],
  [["memcpy_pool", "64", "1"], /^limits: LIMITS_POOL_MIB must be a whole number .* got "0"$/, {
    LIMITS_POOL_MIB: "0",
  }],
];

Deno.test({
  name: "limits with a bad test, size, time or pool: one line, exit code 2, nothing measured",
  ignore,
  async fn() {
    for (const [args, message, env] of BAD) {
      const { code, stdout, stderr } = await run(args, env);
      assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
      assert.equal(stdout, "");
      assert.equal(stderr.split("\n").length, 2, stderr); // one line and its newline
      assert.match(stderr.trimEnd(), message);
    }
  },
});

for (const test of ["echo_unix", "stream_tcp", "shm_futex_verify", "shm_unix"]) {
  Deno.test({
    name: `limits ${test}: SIGTERM stops both processes, with one line`,
    ignore,
    fn: () =>
      withLongRun(test, async ({ child, peer, output }) => {
        assert.ok(alive(peer));
        child.kill("SIGTERM");
        const status = await within(5000, "exit after SIGTERM", child.status);
        assert.equal(status.code, 143);
        await until("the second process to end", () => !alive(peer), 2000);
        assert.deepEqual(await output, ["", `limits: ${test}: interrupted\n`]);
      }),
  });

  Deno.test({
    name: `limits ${test}: SIGKILL of the program takes its second process with it`,
    ignore,
    fn: () =>
      withLongRun(test, async ({ child, peer }) => {
        child.kill("SIGKILL");
        await child.status;
        await until("the second process to end", () => !alive(peer), 2000);
      }),
  });

  Deno.test({
    name: `limits ${test}: a second process that dies ends the run at once, with one line`,
    ignore,
    fn: () =>
      withLongRun(test, async ({ child, peer, output }) => {
        Deno.kill(peer, "SIGKILL");
        // Well before the 30 s run would end.
        const status = await within(5000, "exit after the second process died", child.status);
        assert.equal(status.code, 1);
        const [stdout, stderr] = await output;
        assert.equal(stdout, "");
        assert.match(stderr, new RegExp(`^limits: ${test}: [^\n]*\n$`));
      }),
  });
}
