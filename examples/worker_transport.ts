#!/usr/bin/env -S deno run
/**
 * A transport of your own in thirty lines, measured like every framebench
 * client: frames to a Web Worker and back with `postMessage`, through the
 * echo loop that verifies every byte. Each frame is copied once into a buffer
 * of its own, which is then moved (transferred) to the worker and back
 * without a copy. (Posting the frame itself would clone its whole backing
 * buffer: the frame source's pool of 8 frames, each way.)
 *
 *     deno run examples/worker_transport.ts [--size 720p] [--seconds 3]
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  formatSummary,
  type FrameTransport,
  parseSize,
  type ReturnedFrame,
  runEcho,
} from "../common/mod.ts";

/** The worker: sends every frame straight back, moving its buffer. */
const ECHO = "self.onmessage = (event) => self.postMessage(event.data, [event.data.buffer]);";

/** Frames to a worker thread and back. */
export class WorkerEcho implements FrameTransport {
  readonly endpoint = "worker://echo";
  readonly #worker = new Worker(
    URL.createObjectURL(new Blob([ECHO], { type: "text/javascript" })),
    { type: "module" },
  );

  #back = Promise.withResolvers<ReturnedFrame>();

  send(frame: Uint8Array): Promise<void> {
    const back = this.#back = Promise.withResolvers<ReturnedFrame>();
    this.#worker.onmessage = (event) => back.resolve({ frame: event.data });
    this.#worker.onerror = (event) => back.reject(new Error(event.message));
    const moved = frame.slice(); // the one copy of the frame, into a buffer that can move
    this.#worker.postMessage(moved, [moved.buffer]);
    return Promise.resolve();
  }

  receive(): Promise<ReturnedFrame> {
    return this.#back.promise;
  }

  close(): void {
    this.#worker.terminate();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      size: { type: "string", default: "720p" },
      seconds: { type: "string", default: "3" },
    },
  });
  const record = await runEcho(new WorkerEcho(), {
    transport: "worker",
    options: { geometry: parseSize(values.size), seconds: Number(values.seconds), warmup: 0.5 },
  });
  console.log(formatSummary(record));
}
