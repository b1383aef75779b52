/**
 * The one `main` of every server: flags (`--endpoint` and the transport's
 * own), `--help`, a warning when it listens beyond this machine, and Ctrl-C.
 * The ready and stopped lines are the transport's {@linkcode ServerStats}.
 *
 * @module
 */

import { runMain, shutdownSignal } from "./cli.ts";
import {
  type Endpoint,
  endpointFlag,
  type EndpointKind,
  isLoopback,
  parseEndpoint,
} from "./endpoint.ts";
import { type CommandSpec, parseServerFlags, SERVER_FLAGS, usage } from "./flags.ts";

/** What a server's `serve` gets. */
export interface ServerContext {
  /** Where to listen (`--endpoint`). */
  endpoint: Endpoint;
  /** Values of the transport's own flags, defaults filled in. */
  flags: Record<string, string | boolean | undefined>;
  /** Aborts on Ctrl-C or SIGTERM: the server stops cleanly and returns. */
  signal: AbortSignal;
}

/** A transport's server, as {@linkcode serverMain} runs it. */
export interface ServerCommand extends CommandSpec {
  /** The `--endpoint` default and the kinds of URL the transport takes. */
  endpoint: { default: string; kinds: readonly EndpointKind[] };
  /** Serves until the context's signal aborts (printing the ready and stopped lines). */
  serve(context: ServerContext): Promise<unknown>;
}

/** Runs `command` as a script: parses `Deno.args`, serves until Ctrl-C, exits. */
export function serverMain(command: ServerCommand): Promise<never> {
  const spec: CommandSpec = {
    ...command,
    flags: { ...endpointFlag(command.endpoint.default, command.endpoint.kinds), ...command.flags },
  };
  return runMain(command.name, async (args) => {
    const { help, flags } = parseServerFlags(args, spec);
    if (help) return console.log(usage(spec, SERVER_FLAGS));
    const endpoint = parseEndpoint(flags.endpoint as string, command.endpoint.kinds);
    if ("host" in endpoint && !isLoopback(endpoint.host)) {
      console.error(
        `${command.name}: listening on ${endpoint.url}, beyond this machine: anyone who can reach it can send frames`,
      );
    }
    await command.serve({ endpoint, flags, signal: shutdownSignal() });
  });
}
