import assert from "node:assert/strict";
import { parseLimitLine } from "./output.ts";
import { lines, ROOT, taskArgs } from "../testing/processes.ts";
import { compilerPresent } from "./testdata/compiler.ts";

const ignore = !(await compilerPresent());

/** `deno task limits ARGS` with its own permissions and a fresh cache folder. */
async function withTask<T>(
  args: string[],
  env: Record<string, string>,
  fn: (child: Deno.ChildProcess) => Promise<T>,
): Promise<T> {
  const cache = await Deno.makeTempDir({ prefix: "framebench-limits-run-" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [...taskArgs("limits"), ...args],
      cwd: ROOT,
      env: { NO_COLOR: "1", XDG_CACHE_HOME: cache, ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return await fn(child);
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
}

async function ended(child: Deno.ChildProcess) {
  const [status, stdout, stderr] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return { code: status.code, stdout, stderr };
}

Deno.test({
  name: "deno task limits builds the program on first use and runs one test",
  ignore,
  async fn() {
    const { code, stdout, stderr } = await withTask(["memcpy", "4096", "0.05"], {}, ended);
    assert.equal(code, 0, stderr);
    assert.match(
      stderr,
      /^limits: built .*limits\.c with \S+ into .*limits-[0-9a-f]{16} \(first use\)\n$/,
    );
    assert.equal(parseLimitLine(stdout).test, "memcpy");
  },
});

Deno.test("deno task limits without a C compiler: one line, exit code 1", async () => {
  const { code, stdout, stderr } = await withTask(
    ["memcpy", "4096", "0.05"],
    { CC: "/nonexistent/cc" },
    ended,
  );
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.equal(
    stderr,
    "limits: no C compiler found (tried /nonexistent/cc) to build the limits program: install one (Debian: apt-get install gcc, or build-essential)\n",
  );
});

Deno.test({
  name: "deno task limits: a SIGTERM is passed on, and the program stops with its second process",
  ignore,
  async fn() {
    const result = await withTask(["echo_unix", "65536", "30"], {}, async (child) => {
      const err = lines(child.stderr);
      assert.match((await err.next()).value ?? "", /^limits: built /);
      // The program runs once it is built: its pid is the task's child.
      const ps = (args: string[]) =>
        new TextDecoder().decode(new Deno.Command("ps", { args }).outputSync().stdout).trim();
      let program = "";
      for (let i = 0; i < 250 && !program; i++) {
        program = ps(["--ppid", String(child.pid), "-o", "pid="]);
        if (!program) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(program, "the program started");
      let peer = "";
      for (let i = 0; i < 250 && !peer; i++) {
        peer = ps(["--ppid", program, "-o", "pid="]);
        if (!peer) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      child.kill("SIGTERM");
      const status = await child.status;
      const rest: string[] = [];
      for await (const line of err) rest.push(line);
      await child.stdout.cancel();
      const gone = (pid: string) => !/^[^ZX]/.test(ps(["-p", pid, "-o", "stat="]));
      return { code: status.code, rest, programGone: gone(program), peerGone: gone(peer) };
    });
    assert.deepEqual(result, {
      code: 143,
      rest: ["limits: echo_unix: interrupted"],
      programGone: true,
      peerGone: true,
    });
  },
});
