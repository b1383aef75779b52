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

/** What a client's `connect` gets. */
export interface ClientContext {
  /** The shared client options (`--size`, `--variant`, `--timeout`, ...). */
  options: ClientOptions;
  /** Where the server is (`--endpoint`). */
  endpoint: Endpoint;
  /** Values of the transport's own flags, defaults filled in. */
  flags: Record<string, string | boolean | undefined>;
  /** Aborts on Ctrl-C: a transport waiting for its server gives up. */
  signal: AbortSignal;
}

/** A transport's client, as {@linkcode clientMain} runs it. */
export interface ClientCommand extends ClientSpec {
  /** Transport name in the result record, e.g. `socket`. */
  transport: string;
  /** The `--endpoint` default and the kinds of URL the transport takes. */
  endpoint: { default: string; kinds: readonly EndpointKind[] };
  /** Opens the transport; throws a one-line error when it cannot. */
  connect(context: ClientContext): Promise<FrameTransport>;
  /** Versions for the record (given what `connect` got). Default: the runtime's, no packages. */
  runtime?: (context: ClientContext) => RuntimeInfo;
}

/** Runs `command` as a script: parses `Deno.args`, measures, prints, exits. */
export function clientMain(command: ClientCommand): Promise<never> {
  const spec: ClientSpec = {
    ...command,
    flags: { ...endpointFlag(command.endpoint.default, command.endpoint.kinds), ...command.flags },
  };
  return runMain(command.name, async (args) => {
    const { help, options, flags } = parseClientFlags(args, spec);
    if (help) return console.log(usage(spec, CLIENT_FLAGS));
    const endpoint = parseEndpoint(flags.endpoint as string, command.endpoint.kinds);
    const signal = shutdownSignal();
    const context: ClientContext = { options, endpoint, flags, signal };
    const transport = await command.connect(context);
    const record = await runEcho(transport, {
      transport: command.transport,
      options,
      signal,
      runtime: command.runtime?.(context) ?? runtimeInfo([]),
    });
    return reportResult(record, options.json);
  });
}
