/**
 * The one `main` of every subscriber (the stream mode): flags (the shared
 * ones, `--endpoint`, the transport's own), `--help`, Ctrl-C, the window, the
 * record and the exit code. A transport's subscriber gives only what is its
 * own: how to connect, and its `next`.
 *
 * @module
 */

import { runMain, shutdownSignal } from "./cli.ts";
import { type Endpoint, endpointFlag, type EndpointKind, parseEndpoint } from "./endpoint.ts";
import { type CommandSpec, usage } from "./flags.ts";
import { type RuntimeInfo, runtimeInfo } from "./record.ts";
import { FrameSource } from "./source.ts";
import { type FrameSubscription, runSubscriber } from "./stream.ts";
import { parseSubscriberFlags, SUBSCRIBER_FLAGS, type SubscriberOptions } from "./stream_flags.ts";
import { formatSubscriber } from "./stream_record.ts";

/** What a subscriber's `connect` gets. */
export interface SubscriberContext {
  /** The shared options (`--size`, `--timeout`, ...). */
  options: SubscriberOptions;
  /** Where the publisher is (`--endpoint`). */
  endpoint: Endpoint;
  /** Values of the transport's own flags, defaults filled in. */
  flags: Record<string, string | boolean | undefined>;
  /** Aborts on Ctrl-C: a transport waiting for its publisher gives up. */
  signal: AbortSignal;
}

/** A transport's subscriber, as {@linkcode subscriberMain} runs it. */
export interface SubscriberCommand extends CommandSpec {
  /** Transport name in the record, e.g. `socket`. */
  transport: string;
  /** The `--endpoint` default and the kinds of URL the transport takes. */
  endpoint: { default: string; kinds: readonly EndpointKind[] };
  /** Subscribes; throws a one-line error when nothing publishes there. */
  connect(context: SubscriberContext): Promise<FrameSubscription>;
  /** Versions for the record. Default: the runtime's, no packages. */
  runtime?: () => RuntimeInfo;
}

/**
 * Runs `command` as a script: parses `Deno.args`, receives until the stream
 * ends, prints the record, exits: 0 for a clean run (dropped frames
 * included), 1 when it failed or a frame failed verification, 130 when
 * interrupted.
 */
export function subscriberMain(command: SubscriberCommand): Promise<never> {
  const spec: CommandSpec = {
    ...command,
    flags: { ...endpointFlag(command.endpoint.default, command.endpoint.kinds), ...command.flags },
  };
  return runMain(command.name, async (args) => {
    const { help, options, flags } = parseSubscriberFlags(args, spec);
    if (help) return console.log(usage(spec, SUBSCRIBER_FLAGS));
    const endpoint = parseEndpoint(flags.endpoint as string, command.endpoint.kinds);
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
      runtime: command.runtime?.() ?? runtimeInfo([]),
    });
    console.log(options.json ? JSON.stringify(record) : formatSubscriber(record));
    if (record.status === "failed" || record.errors > 0) return 1;
    return record.status === "interrupted" ? 130 : 0;
  });
}
