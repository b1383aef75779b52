/**
 * The echo loop every client runs, as in the original study: send frame i,
 * wait for it to come back whole, verify it, consume it, then send frame i+1;
 * or the same with several frames in flight. A transport only sends and
 * receives ({@linkcode FrameTransport}); measuring, verification, progress and
 * the window are done here, the same way for every transport.
 *
 * @module
 */

import type { FrameDisplay } from "./display.ts";
import { EventLoopTurns } from "./event_loop.ts";
import { closeRun, endedBy } from "./run_end.ts";
import { type ClientOptions, DEFAULT_CLIENT_OPTIONS } from "./flags.ts";
import { sizeName } from "./frame.ts";
import { Meter } from "./meter.ts";
import {
  formatSummary,
  type ResultRecord,
  type RunStatus,
  type RuntimeInfo,
  runtimeInfo,
} from "./record.ts";
import { FrameSource } from "./source.ts";
import { checkFrame, type FrameError } from "./verify.ts";

/** A frame the server refused, with its reason: counted as an error, the run goes on. */
export class FrameRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FrameRefused";
  }
}

/** A frame that came back, as {@linkcode FrameTransport.receive} gives it. */
export interface ReturnedFrame {
  /** Its bytes; they need only stay valid until the next `receive()`. */
  frame: Uint8Array;
  /**
   * The frame index the transport says it carries (from a reply's header),
   * checked against the one expected. Default: the one expected.
   */
  index?: number;
}

/**
 * A transport's client, as {@linkcode runEcho} drives it: frames go out with
 * `send` and come back, in the order sent, from `receive`. With one frame in
 * flight (the default) that is the original study's echo: send frame i,
 * receive it back, then send frame i+1.
 */
export interface FrameTransport {
  /** Where it is connected, as a URL (`ipc:///tmp/x.sock`, `tcp://127.0.0.1:5555`). */
  readonly endpoint: string;
  /**
   * Most frames sent and not yet received. Default: 1. Below the frame
   * source's pool size (8 by default), since frame `i + poolSize` reuses the
   * bytes of frame `i`: a frame's bytes stay as they are until it is back.
   */
  readonly inFlight?: number;
  /** Sends `frame` (frame number `index`), or starts to. */
  send(frame: Uint8Array, index: number): Promise<void>;
  /**
   * Resolves with the next frame that came back (the oldest outstanding).
   * Rejects with {@linkcode FrameRefused} when the server refused that frame
   * (the run goes on), with any other error when the transport is broken
   * (the run ends).
   */
  receive(): Promise<ReturnedFrame>;
  /**
   * Verifies a frame that came back, when it cannot equal the one sent byte
   * for byte (a lossy codec). Default: {@linkcode checkFrame} against the
   * frame source.
   */
  check?(frame: Uint8Array, index: number): FrameError | undefined;
  /** Releases everything the transport holds. */
  close(): void | Promise<void>;
}

/** What {@linkcode runEcho} takes besides the transport; every field has a default. */
export interface EchoRun {
  /** Transport name for the record, e.g. `zmq`. Default: `custom`. */
  transport?: string;
  /**
   * The client options (`--size`, `--seconds`, ...); each one left out takes
   * its default ({@linkcode DEFAULT_CLIENT_OPTIONS}: 1080p, 5 s measured after
   * 1 s of warm-up, no window, no frame limit).
   */
  options?: Partial<ClientOptions>;
  /** Versions for the record. Default: the runtime's, no packages. */
  runtime?: RuntimeInfo;
  /** Aborting it ends the run early with status `interrupted` (Ctrl-C). */
  signal?: AbortSignal;
  /** Where progress lines go. Default: stderr. */
  progress?: (line: string) => void;
  /** The source of frames. Default: a new {@linkcode FrameSource} of the options' geometry. */
  source?: FrameSource;
}

const encoder = new TextEncoder();
function stderrLine(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/**
 * Runs the echo loop until the measured time or frame count is reached, the
 * signal aborts (status `interrupted`), the window is closed, or the transport
 * fails (status `failed`), and returns the result record. Round trips still in
 * flight at the end are drained and verified but not measured. It does not
 * throw: a failed run still returns the figures measured up to then.
 */
export async function runEcho(
  transport: FrameTransport,
  run: EchoRun = {},
): Promise<ResultRecord> {
  const options: ClientOptions = { ...DEFAULT_CLIENT_OPTIONS, ...run.options };
  const transportName = run.transport ?? "custom";
  const source = run.source ?? new FrameSource(options.geometry);
  const progress = run.progress ?? stderrLine;
  const meter = new Meter({
    frameBytes: options.geometry.frameBytes,
    warmupSeconds: options.warmup,
  });
  const errorKinds: ResultRecord["errorKinds"] = {};
  let verified = 0;
  let errors = 0;
  let firstError: string | undefined;
  let status: RunStatus = "ok";
  let reason: string | undefined;
  let display: FrameDisplay | undefined;
  const turns = new EventLoopTurns();
  const count = (kind: keyof ResultRecord["errorKinds"], message: string) => {
    errors++;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    if (firstError === undefined) firstError = message;
    if (errors <= 3) progress(`error: ${message}`);
  };
  const label = `${transportName} ${options.variant} ${sizeName(options.geometry)}`;

  try {
    if (options.display) {
      const { openDisplay } = await import("./display.ts");
      display = await openDisplay(options.geometry, `framebench: ${label}`);
    }
    const inFlight = transport.inFlight ?? 1;
    if (!Number.isInteger(inFlight) || inFlight < 1 || inFlight >= source.poolSize) {
      throw new Error(`in flight must be 1 to ${source.poolSize - 1}, got ${inFlight}`);
    }
    const sentAt = new Float64Array(source.poolSize);
    let sent = 0; // frames sent
    let done = 0; // frames back (or refused)
    let stopping = false;
    meter.start();
    // A run whose frames are all refused never moves the meter: it ends here.
    const deadline = performance.now() + (options.warmup + options.seconds) * 1000;
    let nextProgress = performance.now() + 1000;
    while (!stopping || done < sent) {
      await turns.maybeYield();
      if (!stopping && (run.signal?.aborted || display?.closed)) {
        stopping = true;
        if (run.signal?.aborted) {
          status = "interrupted";
          reason = "interrupted by signal";
        } else {
          reason = "window closed";
        }
      }
      // Keep up to inFlight frames outstanding (one: the study's echo).
      while (!stopping && sent - done < inFlight) {
        sentAt[sent % source.poolSize] = performance.now();
        await transport.send(source.frame(sent), sent);
        sent++;
      }
      if (done === sent) continue;
      const index = done++;
      let received: Uint8Array;
      let claimed: number;
      try {
        const back = await transport.receive();
        received = back.frame;
        claimed = back.index ?? index;
      } catch (error) {
        if (!(error instanceof FrameRefused)) throw error;
        count("refused", `frame ${index}: refused: ${error.message}`);
        if (options.strict) throw new Error(`--strict: ${firstError}`);
        if (performance.now() >= deadline) stopping = true;
        continue;
      }
      const latency = performance.now() - sentAt[index % source.poolSize];
      // Verification compares every byte, so it is also the consumer reading the frame.
      const problem: FrameError | undefined = claimed === index
        ? (transport.check ? transport.check(received, index) : checkFrame(source, received, index))
        : {
          kind: "wrong-index",
          index,
          message: `frame ${index}: the transport says it is frame ${claimed}`,
        };
      if (problem) {
        count(problem.kind, problem.message);
        if (options.strict) throw new Error(`--strict: ${firstError}`);
      } else {
        verified++;
      }
      if (stopping) continue; // draining what is still in flight: not measured
      display?.show(received, meter.measuring ? meter.frames / (meter.elapsedMs / 1000) : 0);
      meter.record(latency);
      if (meter.measuring) {
        if (meter.elapsedMs >= options.seconds * 1000) stopping = true;
        if (options.frames !== undefined && meter.frames >= options.frames) stopping = true;
      }
      const now = performance.now();
      if (now >= nextProgress) {
        nextProgress = now + 1000;
        const fps = meter.frames / (meter.elapsedMs / 1000);
        progress(
          `${label}: ${meter.frames > 0 ? `${fps.toFixed(1)} fps` : "warm-up"}, last round trip ${
            latency.toFixed(2)
          } ms, ${errors} errors`,
        );
      }
    }
  } catch (error) {
    // A transport interrupted by Ctrl-C while waiting is an interruption, not a failure.
    ({ status, reason } = endedBy(error, run.signal));
  } finally {
    await closeRun(display, transport, progress);
  }
  const { geometry } = options;
  return {
    transport: transportName,
    variant: options.variant,
    endpoint: transport.endpoint,
    width: geometry.width,
    height: geometry.height,
    format: geometry.format,
    frameBytes: geometry.frameBytes,
    ...meter.summary(),
    verified,
    errors,
    errorKinds,
    ...(firstError === undefined ? {} : { firstError }),
    status,
    ...(reason === undefined ? {} : { reason }),
    runtime: run.runtime ?? runtimeInfo(),
  };
}

/**
 * Prints a record as a client does: one JSON line on stdout with `json`, a
 * readable summary otherwise. Returns the client's exit code: 0 for a clean
 * run, 1 when it failed or any frame failed verification, 130 when interrupted.
 */
export function reportResult(record: ResultRecord, json: boolean): number {
  console.log(json ? JSON.stringify(record) : formatSummary(record));
  if (record.status === "failed" || record.errors > 0) return 1;
  return record.status === "interrupted" ? 130 : 0;
}
