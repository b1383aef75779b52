/**
 * What every script does around its work: one clear line and exit code 2 for a
 * bad flag, one clear line and exit code 1 for any other error, and an abort
 * signal for Ctrl-C (SIGINT) and SIGTERM.
 *
 * @module
 */

import { UsageError } from "./flags.ts";

/**
 * Runs `main` with the script's arguments and exits with its exit code: 0 by
 * default, 2 after a {@linkcode UsageError}, 1 after any other error. Each
 * error is one line on stderr, prefixed with `name`.
 */
export async function runMain(
  name: string,
  main: (args: string[]) => Promise<number | void>,
): Promise<never> {
  let code: number;
  try {
    code = (await main(Deno.args)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${name}: ${error.message} (see --help)`);
      code = 2;
    } else {
      console.error(`${name}: ${errorLine(error)}`);
      code = 1;
    }
  }
  Deno.exit(code);
}

/** The one-line message of an error (or anything thrown). */
export function errorLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0];
}

/** The signals that ask a script to stop: SIGINT and SIGTERM (SIGINT and SIGBREAK on Windows). */
export const SHUTDOWN_SIGNALS: readonly Deno.Signal[] = Deno.build.os === "windows"
  ? ["SIGINT", "SIGBREAK"]
  : ["SIGINT", "SIGTERM"];

/**
 * Returns a signal that aborts on the first SIGINT or SIGTERM (SIGINT and
 * SIGBREAK on Windows). A second signal exits at once with code 130, so that a
 * stuck process can always be stopped.
 */
export function shutdownSignal(): AbortSignal {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) Deno.exit(130);
    controller.abort();
  };
  for (const signal of SHUTDOWN_SIGNALS) Deno.addSignalListener(signal, handler);
  return controller.signal;
}
