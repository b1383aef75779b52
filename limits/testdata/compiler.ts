/**
 * For the tests: whether a C compiler (`cc` or `gcc`, as the build tries
 * them) starts on this machine, so that tests which need one are skipped,
 * with a message, where there is none.
 *
 * @module
 */

/** True when `cc` or `gcc` answers `--version`. */
export async function compilerPresent(): Promise<boolean> {
  for (const program of ["cc", "gcc"]) {
    try {
      const out = await new Deno.Command(program, {
        args: ["--version"],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).output();
      if (out.success) return true;
    } catch {
      // not installed: try the next
    }
  }
  console.warn("limits tests skipped: no C compiler (cc or gcc); Debian: apt-get install gcc");
  return false;
}
