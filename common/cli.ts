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
 * Signals that arrive within this many milliseconds of the first one are the
 * same Ctrl-C. A terminal sends SIGINT to its whole foreground process group,
 * so a script under `deno task` gets it from the terminal and again, a few
 * milliseconds later, from `deno task`, which forwards its own.
 */
export const SAME_CTRL_C_MS = 500;

/** Options for {@linkcode shutdownSignal}. */
export interface ShutdownOptions {
  /** Runs just before a second Ctrl-C forces the exit (e.g. to signal children). Default: none. */
  beforeForcedExit?: () => void;
}

/**
 * Returns a signal that aborts on the first SIGINT or SIGTERM (SIGINT and
 * SIGBREAK on Windows), so that the script stops cleanly. Signals within
 * {@linkcode SAME_CTRL_C_MS} of the first count as the same one; a signal
 * after that (an impatient second Ctrl-C) exits at once with code 130, so that
 * a stuck process can always be stopped (what `atExit` registered still runs).
 */
export function shutdownSignal(options: ShutdownOptions = {}): AbortSignal {
  const controller = new AbortController();
  let firstAt = 0;
  const handler = () => {
    if (!controller.signal.aborted) {
      firstAt = performance.now();
      controller.abort();
    } else if (performance.now() - firstAt >= SAME_CTRL_C_MS) {
      options.beforeForcedExit?.();
      Deno.exit(130);
    }
  };
  for (const signal of SHUTDOWN_SIGNALS) Deno.addSignalListener(signal, handler);
  return controller.signal;
}
