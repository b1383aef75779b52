/**
 * The echo loop every client runs, as in the original study: send frame i,
 * wait for it to come back whole, verify it, consume it, then send frame i+1.
 * A transport only has to provide {@linkcode EchoTransport.roundTrip}.
 *
 * @module
 */

import { errorLine } from "./cli.ts";
import type { FrameDisplay } from "./display.ts";
import type { ClientOptions } from "./flags.ts";
import { sizeName } from "./frame.ts";
import { Meter } from "./meter.ts";
import { formatSummary, type ResultRecord, type RunStatus, type RuntimeInfo } from "./record.ts";
import { FrameSource } from "./source.ts";
import { checkFrame, type FrameError } from "./verify.ts";

/** A frame the server refused, with its reason: counted as an error, the run goes on. */
export class FrameRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FrameRefused";
  }
}

/** What a transport's client provides to {@linkcode runEcho}. */
export interface EchoTransport {
  /** Where it is connected, as a URL (`ipc:///tmp/x.sock`, `tcp://127.0.0.1:5555`). */
  readonly endpoint: string;
  /**
   * Sends `frame` (frame number `index`) and resolves with the frame that came
   * back. The returned bytes need only stay valid until the next call. Rejects
   * with {@linkcode FrameRefused} when the server refused this frame (the run
   * goes on), with any other error when the transport is broken (the run ends).
   */
  roundTrip(frame: Uint8Array, index: number): Promise<Uint8Array>;
  /** Releases everything the transport holds. */
  close(): void | Promise<void>;
}

/** Everything {@linkcode runEcho} needs besides the transport. */
export interface EchoRun {
  /** Transport name for the record, e.g. `zmq`. */
  transport: string;
  /** The shared client options. */
  options: ClientOptions;
  /** Versions for the record. */
  runtime: RuntimeInfo;
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
 * signal aborts, the window is closed, or the transport fails, and returns the
 * result record. A failed transport gives status `failed` and the figures
 * measured up to then; it does not throw.
 */
export async function runEcho(transport: EchoTransport, run: EchoRun): Promise<ResultRecord> {
  const { options } = run;
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
  const count = (kind: keyof ResultRecord["errorKinds"], message: string) => {
    errors++;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    if (firstError === undefined) firstError = message;
    if (errors <= 3) progress(`error: ${message}`);
  };
  const label = `${run.transport} ${options.variant} ${sizeName(options.geometry)}`;

  try {
    if (options.display) {
      const { openDisplay } = await import("./display.ts");
      display = await openDisplay(options.geometry, `framebench: ${label}`);
    }
    meter.start();
    let nextProgress = performance.now() + 1000;
    for (let index = 0;; index++) {
      if (run.signal?.aborted || display?.closed) {
        status = "interrupted";
        reason = display?.closed ? "window closed" : "interrupted by signal";
        break;
      }
      const frame = source.frame(index);
      const sent = performance.now();
      let received: Uint8Array;
      try {
        received = await transport.roundTrip(frame, index);
      } catch (error) {
        if (!(error instanceof FrameRefused)) throw error;
        count("refused", `frame ${index}: refused: ${error.message}`);
        if (options.strict) throw new Error(`--strict: ${firstError}`);
        continue;
      }
      const latency = performance.now() - sent;
      // Verification compares every byte, so it is also the consumer reading the frame.
      const problem: FrameError | undefined = checkFrame(source, received, index);
      if (problem) {
        count(problem.kind, problem.message);
        if (options.strict) throw new Error(`--strict: ${firstError}`);
      } else {
        verified++;
      }
      display?.show(received, meter.measuring ? meter.frames / (meter.elapsedMs / 1000) : 0);
      meter.record(latency);
      if (meter.measuring) {
        if (meter.elapsedMs >= options.seconds * 1000) break;
        if (options.frames !== undefined && meter.frames >= options.frames) break;
      }
      const now = performance.now();
      if (now >= nextProgress) {
        nextProgress = now + 1000;
        const s = meter.summary();
        progress(
          `${label}: ${meter.measuring ? "" : "warm-up, "}${s.fps.toFixed(1)} fps, ${
            s.mbPerS.toFixed(0)
          } MB/s, p50 ${s.latencyMs.p50.toFixed(2)} ms, ${errors} errors`,
        );
      }
    }
  } catch (error) {
    status = "failed";
    reason = errorLine(error);
  } finally {
    display?.close();
    try {
      await transport.close();
    } catch (error) {
      progress(`while closing: ${errorLine(error)}`);
    }
  }
  const { geometry } = options;
  return {
    transport: run.transport,
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
    runtime: run.runtime,
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
