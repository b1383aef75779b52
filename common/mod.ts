/**
 * The common module of framebench: what every transport shares, usable as a
 * library for your own experiments.
 *
 * - {@linkcode parseSize}, {@linkcode FrameGeometry}: frame sizes and formats.
 * - {@linkcode FrameSource}: a pool of distinct test-pattern frames, each
 *   handed out stamped with its index.
 * - {@linkcode checkFrame}: verification of a received frame (size, index,
 *   torn, every byte).
 * - {@linkcode Meter}: warm-up, fps, MB/s, latency percentiles, CPU per frame.
 * - {@linkcode runEcho} with an {@linkcode EchoTransport} or a
 *   {@linkcode PipelinedTransport}: the measured echo loop every client runs.
 * - {@linkcode parseClientFlags}, {@linkcode runMain}: the shared flags and
 *   the script wrapper (one-line errors, exit codes).
 * - {@linkcode encodeProperties}: the 32-byte frame properties header.
 * - {@linkcode ServerStats}: a server's ready and stopped lines.
 * - {@linkcode openDisplay} (in `display.ts`, loaded on demand): the SDL window.
 *
 * @example
 * ```ts
 * import { checkFrame, FrameSource, parseSize } from "./mod.ts";
 * const source = new FrameSource(parseSize("480p"));
 * const copy = source.frame(7).slice();
 * checkFrame(source, copy, 7); // undefined: the right frame
 * checkFrame(source, copy, 8)?.kind; // "stale"
 * ```
 *
 * @module
 */

export * from "./cleanup.ts";
export * from "./cli.ts";
export * from "./echo.ts";
export * from "./flags.ts";
export * from "./frame.ts";
export * from "./meter.ts";
export * from "./properties.ts";
export * from "./record.ts";
export * from "./server.ts";
export * from "./source.ts";
export * from "./unix_socket.ts";
export * from "./verify.ts";
export type { DisplayOptions, FrameDisplay } from "./display.ts";

/** Opens the SDL window; loads `@kmamal/sdl` only when called. See `display.ts`. */
export async function openDisplay(
  ...args: Parameters<typeof import("./display.ts").openDisplay>
): ReturnType<typeof import("./display.ts").openDisplay> {
  return await (await import("./display.ts")).openDisplay(...args);
}
