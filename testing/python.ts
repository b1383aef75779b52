/**
 * Python peers in the tests: programs in another language, written from a
 * transport's README, run against the real servers. Debian's Python is used
 * by its path: a python3 earlier on PATH may lack the packages `.ci/run`
 * installs (python3-zmq, python3-grpcio, ...).
 *
 * @module
 */

import { ROOT } from "./processes.ts";

/** Debian's Python. */
export const PYTHON = "/usr/bin/python3";

/** How a Python run ended. */
export interface PythonRun {
  /** Exit code. */
  code: number;
  /** What it printed on stdout. */
  stdout: string;
  /** What it printed on stderr. */
  stderr: string;
}

/** Runs `python3 ARGS` in the project's root folder (`env` added to the environment). */
export async function python(args: string[], env: Record<string, string> = {}): Promise<PythonRun> {
  const output = await new Deno.Command(PYTHON, { args, env, cwd: ROOT, stdin: "null" }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * Why tests that need Python with `modules` (module name to the Debian
 * package that has it) cannot run here, in one line that says how to enable
 * them; undefined when they can.
 */
export async function pythonMissing(
  modules: Record<string, string> = {},
): Promise<string | undefined> {
  const names = Object.keys(modules);
  try {
    const run = await python(["-c", names.length ? `import ${names.join(", ")}` : "pass"]);
    if (run.code === 0) return undefined;
    const packages = Object.values(modules).join(" ");
    return `${PYTHON} lacks ${names.join(" or ")}: apt-get install ${packages}`;
  } catch {
    return `no ${PYTHON}: apt-get install python3`;
  }
}
