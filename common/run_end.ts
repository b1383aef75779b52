/**
 * How a measuring loop ends, the same for the echo and the stream mode: an
 * error is a failure, unless Ctrl-C caused it (a transport interrupted while
 * waiting); then the window and the transport are closed, and a failure to
 * close is told, not thrown.
 *
 * @module
 */

import { errorLine } from "./cli.ts";
import type { FrameDisplay } from "./display.ts";
import type { RunStatus } from "./record.ts";

/** The status and reason of a loop that ended with `error`. */
export function endedBy(
  error: unknown,
  signal?: AbortSignal,
): { status: RunStatus; reason: string } {
  return signal?.aborted
    ? { status: "interrupted", reason: "interrupted by signal" }
    : { status: "failed", reason: errorLine(error) };
}

/** Closes the window (if any) and the transport; a failure to close goes to `progress`. */
export async function closeRun(
  display: FrameDisplay | undefined,
  transport: { close(): Promise<void> | void },
  progress: (line: string) => void,
): Promise<void> {
  display?.close();
  try {
    await transport.close();
  } catch (error) {
    progress(`while closing: ${errorLine(error)}`);
  }
}
