import assert from "node:assert/strict";
import {
  buildLimits,
  buildName,
  LIMITS_SOURCE,
  LimitsBuildError,
  NoCompilerError,
} from "./build.ts";
import { compilerPresent } from "./testdata/compiler.ts";

const ignore = !(await compilerPresent());

/** Runs `fn` with a fresh cache folder and a copy of the source in a temporary folder. */
async function withTemp(fn: (dir: string, source: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "framebench-limits-build-" });
  try {
    const source = `${dir}/limits.c`;
    await Deno.copyFile(LIMITS_SOURCE, source);
    await fn(dir, source);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  return found.sort();
}

Deno.test("buildName() changes with the source and only with it", async () => {
  const a = await buildName(new TextEncoder().encode("int main(void) { return 0; }\n"));
  const b = await buildName(new TextEncoder().encode("int main(void) { return 1; }\n"));
  assert.match(a, /^limits-[0-9a-f]{16}$/);
  assert.notEqual(a, b);
  assert.equal(a, await buildName(new TextEncoder().encode("int main(void) { return 0; }\n")));
});

Deno.test({
  name: "buildLimits() builds once without a warning, then takes the build from the cache",
  ignore,
  fn: () =>
    withTemp(async (dir, source) => {
      const said: string[] = [];
      const first = await buildLimits({
        cacheDir: `${dir}/cache`,
        source,
        progress: (l) => said.push(l),
      });
      assert.equal(first.built, true);
      assert.equal(first.warnings, "", "-Wall -Wextra clean");
      assert.equal(said.length, 1);
      assert.match(
        said[0],
        /^limits: built .*limits\.c with \S+ into .*limits-[0-9a-f]{16} \(first use\)$/,
      );
      const help = await new Deno.Command(first.path, { args: ["--help"] }).output();
      assert.equal(help.code, 0);
      assert.match(new TextDecoder().decode(help.stdout), /^usage: limits TEST FRAME_BYTES/);
      const again = await buildLimits({
        cacheDir: `${dir}/cache`,
        source,
        progress: (l) => said.push(l),
      });
      assert.deepEqual(again, { path: first.path, built: false, warnings: "" });
      assert.equal(said.length, 1, "nothing said when the cache has it");
      assert.deepEqual(await names(`${dir}/cache`), [first.path.split("/").pop()]);
    }),
});

Deno.test({
  name: "buildLimits() rebuilds when the source changes, and never runs the stale build",
  ignore,
  fn: () =>
    withTemp(async (dir, source) => {
      const cacheDir = `${dir}/cache`;
      const first = await buildLimits({ cacheDir, source });
      const text = await Deno.readTextFile(source);
      await Deno.writeTextFile(source, text.replace("usage: limits TEST", "usage: limits2 TEST"));
      const second = await buildLimits({ cacheDir, source });
      assert.equal(second.built, true);
      assert.notEqual(second.path, first.path);
      const help = await new Deno.Command(second.path, { args: ["--help"] }).output();
      assert.match(
        new TextDecoder().decode(help.stdout),
        /^usage: limits2 TEST/,
        "the new source's",
      );
      await Deno.writeTextFile(source, text);
      assert.deepEqual(await buildLimits({ cacheDir, source }), {
        path: first.path,
        built: false,
        warnings: "",
      });
    }),
});

Deno.test({
  name: "buildLimits() at once from several runs: one build, no temporary file left",
  ignore,
  fn: () =>
    withTemp(async (dir, source) => {
      const builds = await Promise.all([1, 2].map(() => buildLimits({ cacheDir: dir, source })));
      assert.equal(new Set(builds.map((b) => b.path)).size, 1);
      assert.deepEqual(await names(dir), [builds[0].path.split("/").pop(), "limits.c"].sort());
    }),
});

Deno.test({
  name: "buildLimits() of a broken source: the compiler's first error in one line, nothing left",
  ignore,
  fn: () =>
    withTemp(async (dir, source) => {
      await Deno.writeTextFile(source, "int main(void) { return nope; }\n");
      await assert.rejects(
        buildLimits({ cacheDir: `${dir}/cache`, source }),
        (error: Error) => {
          assert.ok(error instanceof LimitsBuildError);
          assert.match(error.message, /^build of .*limits\.c with \S+ failed: .*error: .*nope/);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
      assert.deepEqual(await names(`${dir}/cache`), []);
    }),
});

Deno.test("buildLimits() without a compiler: one line that names the package to install", async () => {
  await withTemp(async (dir, source) => {
    await assert.rejects(
      buildLimits({ cacheDir: `${dir}/cache`, source, compiler: "/nonexistent/cc" }),
      (error: Error) => {
        assert.ok(error instanceof NoCompilerError);
        assert.equal(
          error.message,
          "no C compiler found (tried /nonexistent/cc) to build the limits program: install one (Debian: apt-get install gcc, or build-essential)",
        );
        return true;
      },
    );
    assert.deepEqual(await names(`${dir}/cache`), []);
  });
});
