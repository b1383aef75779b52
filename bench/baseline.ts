#!/usr/bin/env -S deno run --allow-ffi --allow-read --allow-env
/**
 * The same-process baseline of the original study: each frame is copied once,
 * as a receiver would copy it out of a transport, then verified and consumed
 * exactly as every client does. It is the ceiling the transports are compared
 * to.
 *
 *     deno task baseline [--size 1080p] [--seconds 5] [--display] [--json]
 *
 * @module
 */

import { runMain, shutdownSignal } from "../common/cli.ts";
import { type FrameTransport, reportResult, type ReturnedFrame, runEcho } from "../common/echo.ts";
import { CLIENT_FLAGS, type ClientSpec, parseClientFlags, usage } from "../common/flags.ts";
import type { FrameGeometry } from "../common/frame.ts";
import { runtimeInfo } from "../common/record.ts";

const COMMAND: ClientSpec = {
  name: "baseline",
  summary: "Copies, verifies and consumes frames in one process: the ceiling for every transport.",
  variants: ["copy"],
};

/** A "transport" that is one memcpy into a receive buffer. */
export class InProcessCopy implements FrameTransport {
  readonly endpoint = "in-process";
  readonly #received: ReturnedFrame;

  constructor(geometry: FrameGeometry) {
    this.#received = { frame: new Uint8Array(geometry.frameBytes) };
  }

  send(frame: Uint8Array): Promise<void> {
    // The one copy of the frame: what a receiver does to take it out of a transport.
    this.#received.frame.set(frame);
    return Promise.resolve();
  }

  receive(): Promise<ReturnedFrame> {
    return Promise.resolve(this.#received);
  }

  close(): void {}
}

if (import.meta.main) {
  runMain(COMMAND.name, async (args) => {
    const { help, options } = parseClientFlags(args, COMMAND);
    if (help) return console.log(usage(COMMAND, CLIENT_FLAGS));
    const record = await runEcho(new InProcessCopy(options.geometry), {
      transport: "baseline",
      options,
      signal: shutdownSignal(),
      runtime: runtimeInfo(),
    });
    return reportResult(record, options.json);
  });
}
