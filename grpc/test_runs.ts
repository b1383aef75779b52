/**
 * What the gRPC tests (./grpc_test.ts, ./interop_test.ts) share: the
 * `--endpoint` flags of a TCP port or a unix socket, small frames, and a
 * client run of a few frames of one variant.
 *
 * @module
 */

import { type ClientRun, runClient } from "../testing/processes.ts";

/** Small frames, no warm-up: quick runs. */
export const SMALL: readonly string[] = ["--size", "480p", "--warmup", "0"];

/** `--endpoint` of TCP `port` on 127.0.0.1. */
export function tcpArgs(port: number | string): string[] {
  return ["--endpoint", `tcp://127.0.0.1:${port}`];
}

/** `--endpoint` of the unix socket at `path`. */
export function unixArgs(path: string): string[] {
  return ["--endpoint", `unix://${path}`];
}

/** Runs `task` (a client) for `frames` small frames of `variant`, with `args` first. */
export function runFrames(
  task: string,
  args: readonly string[],
  variant: string,
  frames: number,
): Promise<ClientRun> {
  return runClient(task, [...args, ...SMALL, "--variant", variant, "--frames", String(frames)]);
}
