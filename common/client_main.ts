/**
 * The one `main` of every client: flags (the shared ones, `--endpoint`, the
 * transport's own), `--help`, Ctrl-C, the echo loop, the window, the result
 * record and the exit code. A transport's client.ts gives only what is its
 * own: how to connect, and its send and receive.
 *
 * @module
 */

import { runMain, shutdownSignal } from "./cli.ts";
import { type FrameTransport, reportResult, runEcho } from "./echo.ts";
import { type Endpoint, endpointFlag, type EndpointKind, parseEndpoint } from "./endpoint.ts";
import {
  CLIENT_FLAGS,
  type ClientOptions,
  type ClientSpec,
  parseClientFlags,
  usage,
} from "./flags.ts";
import { type RuntimeInfo, runtimeInfo } from "./record.ts";
import { FrameSource } from "./source.ts";

/** What a client's `connect` gets; `V` is the type of its variants' names. */
export interface ClientContext<V extends string = string> {
  /** The shared client options (`--size`, `--variant`, `--timeout`, ...). */
  options: ClientOptions<V>;
  /** Where the server is (`--endpoint`). */
  endpoint: Endpoint;
  /** Values of the transport's own flags, defaults filled in. */
  flags: Record<string, string | boolean | undefined>;
  /** Aborts on Ctrl-C: a transport waiting for its server gives up. */
  signal: AbortSignal;
  /** The frames the echo loop sends, for a transport that checks them its own way. */
  source: FrameSource;
}

/** A transport's client, as {@linkcode clientMain} runs it; `V` names its variants. */
export interface ClientCommand<V extends string = string> extends ClientSpec<V> {
  /** Transport name in the result record, e.g. `socket`. */
  transport: string;
  /** The `--endpoint` default and the kinds of URL the transport takes. */
  endpoint: { default: string; kinds: readonly EndpointKind[] };
  /** Opens the transport; throws a one-line error when it cannot. */
  connect(context: ClientContext<V>): Promise<FrameTransport>;
  /** Versions (and settings) for the record. Default: the runtime's, no packages. */
  runtime?: (context: ClientContext<V>) => RuntimeInfo;
}

/** Runs `command` as a script: parses `Deno.args`, measures, prints, exits. */
export function clientMain<V extends string>(command: ClientCommand<V>): Promise<never> {
  const spec: ClientSpec<V> = {
    ...command,
    flags: { ...endpointFlag(command.endpoint.default, command.endpoint.kinds), ...command.flags },
  };
  return runMain(command.name, async (args) => {
    const { help, options, flags } = parseClientFlags(args, spec);
    if (help) return console.log(usage(spec, CLIENT_FLAGS));
    const endpoint = parseEndpoint(flags.endpoint as string, command.endpoint.kinds);
    const context = {
      options,
      endpoint,
      flags,
      signal: shutdownSignal(),
      source: new FrameSource(options.geometry),
    };
    const transport = await command.connect(context);
    const record = await runEcho(transport, {
      transport: command.transport,
      options,
      signal: context.signal,
      source: context.source,
      runtime: command.runtime?.(context) ?? runtimeInfo([]),
    });
    return reportResult(record, options.json);
  });
}
