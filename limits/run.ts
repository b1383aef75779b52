#!/usr/bin/env -S deno run --allow-read --allow-write --allow-env=XDG_CACHE_HOME,HOME,CC --allow-run
/**
 * Runs the limits program: one test by hand, built first if needed.
 *
 *     deno task limits echo_unix 6220800 2     # 1920x1080 rgb24 echo over a unix socket, 2 s
 *     deno task limits --help                  # its usage and tests
 *
 * Permissions: --allow-read of the source and the cache, --allow-write of
 * the cache, --allow-env for `XDG_CACHE_HOME`, `HOME` (where the cache is) and
 * `CC` (the compiler), --allow-run for the compiler and for the build, whose
 * path is only known at run time.
 *
 * @module
 */

import { runMain, SHUTDOWN_SIGNALS } from "../common/cli.ts";
import { buildLimits } from "./build.ts";

/** Options for {@linkcode runLimits}. */
export interface RunOptions {
  /** Pass the program's output through to this process's (true) or return it. Default: false. */
  inherit?: boolean;
  /** Environment variables to add (e.g. `LIMITS_TCP_HOST`, see limits.c). Default: none. */
  env?: Record<string, string>;
}

/** How a run of the limits program ended. */
export interface LimitsRun {
  /** Exit code (128 + n when killed by signal n). */
  code: number;
  /** What it printed on stdout (empty when inherited). */
  stdout: string;
  /** What it printed on stderr (empty when inherited). */
  stderr: string;
}

/**
 * Runs a limits program (or any program with its command line) to its end.
 * A SIGINT or SIGTERM of this process is passed on to it as SIGTERM, on which
 * it stops its second process and exits, so that nothing outlives this one.
 */
export async function runLimits(
  program: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<LimitsRun> {
  const output = options.inherit ? "inherit" : "piped";
  const child = new Deno.Command(program, {
    args: [...args],
    ...(options.env ? { env: options.env } : {}),
    stdin: "null",
    stdout: output,
    stderr: output,
  }).spawn();
  const stop = () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already ended
    }
  };
  for (const signal of SHUTDOWN_SIGNALS) Deno.addSignalListener(signal, stop);
  try {
    const [status, stdout, stderr] = await Promise.all([
      child.status,
      options.inherit ? "" : new Response(child.stdout).text(),
      options.inherit ? "" : new Response(child.stderr).text(),
    ]);
    return { code: status.code, stdout, stderr }; // Deno gives 128 + n for signal n
  } finally {
    for (const signal of SHUTDOWN_SIGNALS) Deno.removeSignalListener(signal, stop);
  }
}

if (import.meta.main) {
  runMain("limits", async (args) => {
    const { path } = await buildLimits({ progress: (line) => console.error(line) });
    return (await runLimits(path, args, { inherit: true })).code;
  });
}
