/**
 * framebench's common module as a library, for experiments of your own: the
 * frames, their verification, the meter and the measured echo loop that
 * every framebench client runs. (The command-line plumbing of the scripts,
 * such as flags and signals, stays in the files it lives in.)
 *
 * - {@linkcode parseSize}, {@linkcode FrameGeometry}: frame sizes and formats.
 * - {@linkcode FrameSource}: a pool of distinct test-pattern frames, each
 *   handed out stamped with its index.
 * - {@linkcode checkFrame}: verification of a received frame (size, index,
 *   torn, every byte).
 * - {@linkcode Meter}: warm-up, fps, MB/s, latency percentiles, CPU per frame.
 * - {@linkcode runEcho} with a {@linkcode FrameTransport} (it sends and
 *   receives frames, one or several in flight): the measured echo loop, with
 *   verification, progress, the window and the result record; every option
 *   has a default, so a script names only what it changes.
 * - {@linkcode runPublisher} and {@linkcode runSubscriber} with a
 *   {@linkcode FramePublisher} and {@linkcode FrameSubscription}: the stream
 *   mode (one publisher, N subscribers): pacing, stamping with
 *   {@linkcode sharedClockMs}, verification, drop and latency counts, records.
 * - {@linkcode encodeProperties}: the 32-byte frame properties header that
 *   the socket, ZeroMQ and shared-memory transports send (and
 *   {@linkcode encodeStreamEnd}, the 0x0 frame that ends a stream).
 * - {@linkcode parseEndpoint}: `--endpoint` URLs (`unix://`, `tcp://`, ...).
 * - {@linkcode ServerStats}: a server's ready and stopped lines.
 * - {@linkcode openDisplay} (loads `@kmamal/sdl` on demand): the SDL window.
 *
 * @example Verify a frame that went somewhere and came back
 * ```ts
 * import { checkFrame, FrameSource, parseSize } from "./mod.ts";
 * const source = new FrameSource(parseSize("480p"));
 * const copy = source.frame(7).slice();
 * checkFrame(source, copy, 7); // undefined: the right frame
 * checkFrame(source, copy, 8)?.kind; // "stale"
 * ```
 *
 * @example Measure a transport of your own (see examples/ for whole scripts)
 * ```ts
 * import { formatSummary, type FrameTransport, parseSize, runEcho } from "./mod.ts";
 * const geometry = parseSize("720p");
 * const received = new Uint8Array(geometry.frameBytes);
 * const copy: FrameTransport = {
 *   endpoint: "in-process",
 *   send(frame) {
 *     received.set(frame); // your transport here
 *     return Promise.resolve();
 *   },
 *   receive: () => Promise.resolve({ frame: received }),
 *   close() {},
 * };
 * console.log(formatSummary(await runEcho(copy, { options: { geometry, seconds: 1 } })));
 * ```
 *
 * @module
 */

export {
  BYTES_PER_PIXEL,
  type FrameGeometry,
  frameGeometry,
  parseSize,
  type PixelFormat,
  SIZE_PRESETS,
  sizeName,
} from "./frame.ts";
export { FrameSource, type FrameSourceOptions, readStamps, STAMP_BYTES } from "./source.ts";
export { checkFrame, checkStamps, type FrameError, type FrameErrorKind } from "./verify.ts";
export { type LatencySummary, Meter, type MeterOptions, type MeterSummary } from "./meter.ts";
export {
  type EchoRun,
  FrameRefused,
  type FrameTransport,
  type ReturnedFrame,
  runEcho,
} from "./echo.ts";
export { type ClientOptions, DEFAULT_CLIENT_OPTIONS } from "./flags.ts";
export { formatSummary, type ResultRecord, type RunStatus } from "./record.ts";
export * from "./properties.ts";
export { type Endpoint, parseEndpoint } from "./endpoint.ts";
export { ServerStats } from "./server.ts";
export type { DisplayOptions, FrameDisplay } from "./display.ts";

/** Opens the SDL window; loads `@kmamal/sdl` only when called. See `display.ts`. */
export async function openDisplay(
  ...args: Parameters<typeof import("./display.ts").openDisplay>
): ReturnType<typeof import("./display.ts").openDisplay> {
  return await (await import("./display.ts")).openDisplay(...args);
}
export {
  type FramePublisher,
  type FrameSubscription,
  type Overflow,
  type PublisherRecord,
  type PublishRun,
  runPublisher,
  runSubscriber,
  type StreamMessage,
  type SubscriberRecord,
  type SubscribeRun,
  type TargetFps,
} from "./stream.ts";
export { encodeStreamEnd, isStreamEnd } from "./properties.ts";
export { SHARED_CLOCK, sharedClockMs } from "./clock.ts";
