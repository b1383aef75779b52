/**
 * The one `main` of every publisher (the stream mode): flags (the shared
 * ones, `--endpoint`, the transport's own), `--help`, the ready line, a
 * warning when it publishes beyond this machine, Ctrl-C (which ends the
 * stream cleanly), the record and the exit code. A transport's publisher
 * gives only what is its own: how to open it, and its `publish`.
 *
 * @module
 */

import { shutdownSignal } from "./cli.ts";
import { type CommandContext, commandMain, type StreamCommand } from "./command.ts";
import { runtimeInfo } from "./record.ts";
import { ServerStats } from "./server.ts";
import { FrameSource } from "./source.ts";
import { type FramePublisher, type PublisherContext, runPublisher } from "./stream.ts";
import { parsePublisherFlags, PUBLISHER_FLAGS, type PublisherOptions } from "./stream_flags.ts";
import { formatPublisher, type Overflow } from "./stream_record.ts";

/** What a publisher's `open` gets (`endpoint`: where to publish). */
export interface PublisherOpenContext extends PublisherContext, CommandContext {
  /** The shared options. */
  options: PublisherOptions;
}

/** A transport's publisher, as {@linkcode publisherMain} runs it; `P` is its publisher's type. */
export interface PublisherCommand<P extends FramePublisher = FramePublisher>
  extends StreamCommand<P> {
  /** What the transport can do with a slow subscriber; the first is the default. */
  overflow: readonly Overflow[];
  /** Opens the publisher; throws a one-line error when it cannot (endpoint in use). */
  open(context: PublisherOpenContext): Promise<P>;
}

/** Runs `command` as a script: parses `Deno.args`, publishes until done or Ctrl-C, exits. */
export function publisherMain<P extends FramePublisher>(
  command: PublisherCommand<P>,
): Promise<never> {
  const { overflow } = PUBLISHER_FLAGS;
  const how = {
    parse: (args: string[], spec: PublisherCommand<P>) =>
      parsePublisherFlags(args, spec, command.overflow),
    shared: {
      ...PUBLISHER_FLAGS,
      overflow: {
        ...overflow,
        description: `${overflow.description}: ${command.overflow.join(" or ")}`,
        default: command.overflow[0],
      },
    },
    beyond: { doing: "publishing", anyone: "subscribe" },
  };
  return commandMain(command, how, async ({ options, flags, endpoint }) => {
    const signal = shutdownSignal();
    const source = new FrameSource(options.geometry);
    const publisher = await command.open({
      endpoint,
      flags,
      signal,
      options,
      geometry: options.geometry,
      overflow: options.overflow,
      fps: options.fps,
      poolSize: source.poolSize,
    });
    try {
      new ServerStats(command.transport).ready(publisher.endpoint);
      const record = await runPublisher(publisher, {
        ...options,
        transport: command.transport,
        signal,
        source,
        runtime: command.runtime?.(publisher) ?? runtimeInfo([]),
      });
      console.log(options.json ? JSON.stringify(record) : formatPublisher(record));
      return record.status === "failed" ? 1 : 0;
    } finally {
      await publisher.close();
    }
  });
}
