/**
 * The one `main` of every client: flags (the shared ones, `--endpoint`, the
 * transport's own), `--help`, Ctrl-C, the echo loop, the window, the result
 * record and the exit code. A transport's client.ts gives only what is its
 * own: how to connect, and its send and receive.
 *
 * @module
 */

import { shutdownSignal } from "./cli.ts";
import { type FrameTransport, reportResult, runEcho } from "./echo.ts";
import {
  type CommandContext,
  type CommandFlags,
  commandMain,
  type EndpointSpec,
} from "./command.ts";
import {
  CLIENT_FLAGS,
  type ClientOptions,
  type ClientSpec,
  parseClientFlags,
  UsageError,
} from "./flags.ts";
import { type RuntimeInfo, runtimeInfo } from "./record.ts";
import { FrameSource } from "./source.ts";

/**
 * What a client's `connect` gets (`endpoint`: where the server is; `signal`:
 * a transport waiting for its server gives up); `V` is the type of its
 * variants' names.
 */
export interface ClientContext<V extends string = string> extends CommandContext {
  /** The shared client options (`--size`, `--variant`, `--timeout`, ...). */
  options: ClientOptions<V>;
  /** The frames the echo loop sends: a lossy transport judges the replies against them. */
  source: FrameSource;
}

/**
 * A transport's client, as {@linkcode clientMain} runs it: `V` is the type of
 * its variants' names, `T` that of its transport.
 */
export interface ClientCommand<
  V extends string = string,
  T extends FrameTransport = FrameTransport,
> extends ClientSpec<V>, EndpointSpec {
  /** Transport name in the result record, e.g. `socket`. */
  transport: string;
  /** Opens the transport; throws a one-line error when it cannot. */
  connect(context: ClientContext<V>): Promise<T>;
  /** Versions for the record (given what `connect` got and made). Default: the runtime's, no packages. */
  runtime?: (context: ClientContext<V>, transport: T) => RuntimeInfo;
  /** Figures of the transport's own, read after the run, for the record under its name. Default: none. */
  figures?: (transport: T) => Record<string, unknown>;
}

/** Runs `command` as a script: parses `Deno.args`, measures, prints, exits. */
export function clientMain<V extends string, T extends FrameTransport>(
  command: ClientCommand<V, T>,
): Promise<never> {
  const how: CommandFlags<ClientCommand<V, T>, ClientOptions<V>> = {
    parse: parseClientFlags,
    shared: CLIENT_FLAGS,
  };
  return commandMain(command, how, async ({ options, flags, endpoint }) => {
    if ("port" in endpoint && endpoint.port === 0) {
      throw new UsageError(`--endpoint needs a port above 0 for a client, got "${endpoint.url}"`);
    }
    const signal = shutdownSignal();
    const context = { options, endpoint, flags, signal, source: new FrameSource(options.geometry) };
    const transport = await command.connect(context);
    const record = await runEcho(transport, {
      transport: command.transport,
      options,
      signal,
      source: context.source,
      runtime: command.runtime?.(context, transport) ?? runtimeInfo([]),
    });
    const figures = command.figures?.(transport);
    return reportResult(
      figures ? { ...record, [command.transport]: figures } : record,
      options.json,
    );
  });
}
