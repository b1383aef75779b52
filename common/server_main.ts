/**
 * The one `main` of every server: flags (`--endpoint` and the transport's
 * own), `--help`, a warning when it listens beyond this machine, and Ctrl-C.
 * The ready and stopped lines are the transport's {@linkcode ServerStats}.
 *
 * @module
 */

import { runMain, shutdownSignal } from "./cli.ts";
import {
  type CommandContext,
  commandEndpoint,
  type EndpointCommand,
  withEndpointFlag,
} from "./command.ts";
import { parseServerFlags, SERVER_FLAGS, usage } from "./flags.ts";

/** What a server's `serve` gets: the signal aborts on Ctrl-C or SIGTERM, and it stops cleanly. */
export type ServerContext = CommandContext;

/** A transport's server, as {@linkcode serverMain} runs it. */
export interface ServerCommand extends EndpointCommand {
  /** Serves until the context's signal aborts (printing the ready and stopped lines). */
  serve(context: ServerContext): Promise<unknown>;
}

/** Runs `command` as a script: parses `Deno.args`, serves until Ctrl-C, exits. */
export function serverMain(command: ServerCommand): Promise<never> {
  const spec = withEndpointFlag(command);
  return runMain(command.name, async (args) => {
    const { help, flags } = parseServerFlags(args, spec);
    if (help) return console.log(usage(spec, SERVER_FLAGS));
    const endpoint = commandEndpoint(spec, flags, {
      doing: "listening",
      anyone: "send frames",
    });
    await command.serve({ endpoint, flags, signal: shutdownSignal() });
  });
}
