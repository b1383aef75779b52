/**
 * A test that needs Debian's Python (and some of its modules): skipped, with
 * why in its name, where they are missing.
 *
 * @module
 */

import { pythonMissing } from "./python.ts";

/**
 * Registers `fn` as the test `name`, ignored when Python with `modules`
 * (module name to the Debian package that has it) is missing here.
 */
export async function pythonTest(
  name: string,
  fn: () => Promise<void>,
  modules: Record<string, string> = {},
): Promise<void> {
  const missing = await pythonMissing(modules);
  Deno.test({ name: missing ? `${name} (skipped: ${missing})` : name, ignore: !!missing, fn });
}
