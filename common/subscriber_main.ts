/**
 * The one `main` of every subscriber (the stream mode): flags (the shared
 * ones, `--endpoint`, the transport's own), `--help`, Ctrl-C, the window, the
 * record and the exit code. A transport's subscriber gives only what is its
 * own: how to connect, and its `next`.
 *
 * @module
 */

import { shutdownSignal } from "./cli.ts";
import { type CommandContext, commandMain, type StreamCommand } from "./command.ts";
import { runtimeInfo } from "./record.ts";
import { FrameSource } from "./source.ts";
import { type FrameSubscription, runSubscriber } from "./stream.ts";
import { parseSubscriberFlags, SUBSCRIBER_FLAGS, type SubscriberOptions } from "./stream_flags.ts";
import { formatSubscriber } from "./stream_record.ts";

/**
 * What a subscriber's `connect` gets (`endpoint`: where the publisher is;
 * `signal`: a transport waiting for its publisher gives up).
 */
export interface SubscriberContext extends CommandContext {
  /** The shared options (`--size`, `--timeout`, ...). */
  options: SubscriberOptions;
}

/** A transport's subscriber, as {@linkcode subscriberMain} runs it; `S` is its subscription's type. */
export interface SubscriberCommand<S extends FrameSubscription = FrameSubscription>
  extends StreamCommand<S> {
  /** Subscribes; throws a one-line error when nothing publishes there. */
  connect(context: SubscriberContext): Promise<S>;
}

/**
 * Runs `command` as a script: parses `Deno.args`, receives until the stream
 * ends, prints the record, exits: 0 for a clean run (dropped frames
 * included), 1 when it failed or a frame failed verification, 130 when
 * interrupted.
 */
export function subscriberMain<S extends FrameSubscription>(
  command: SubscriberCommand<S>,
): Promise<never> {
  const how = { parse: parseSubscriberFlags, shared: SUBSCRIBER_FLAGS };
  return commandMain(command, how, async ({ options, flags, endpoint }) => {
    const signal = shutdownSignal();
    // The expected frames are painted before subscribing (a 1080p pool takes
    // a moment): a publisher that waits for its subscribers then starts with
    // every one of them ready to read.
    const source = new FrameSource(options.geometry);
    const subscription = await command.connect({ options, endpoint, flags, signal });
    const record = await runSubscriber(subscription, {
      ...options,
      source,
      transport: command.transport,
      signal,
      runtime: command.runtime?.(subscription) ?? runtimeInfo([]),
    });
    console.log(options.json ? JSON.stringify(record) : formatSubscriber(record));
    if (record.status === "failed" || record.errors > 0) return 1;
    return record.status === "interrupted" ? 130 : 0;
  });
}
