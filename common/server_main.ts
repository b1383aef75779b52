/**
 * The one `main` of every server: flags (`--endpoint` and the transport's
 * own), `--help`, a warning when it listens beyond this machine, and Ctrl-C.
 * The ready and stopped lines are the transport's {@linkcode ServerStats}.
 *
 * @module
 */

import { shutdownSignal } from "./cli.ts";
import { type CommandContext, commandMain, type EndpointCommand } from "./command.ts";
import { parseServerFlags, SERVER_FLAGS } from "./flags.ts";

/** What a server's `serve` gets: the signal aborts on Ctrl-C or SIGTERM, and it stops cleanly. */
export type ServerContext = CommandContext;

/** A transport's server, as {@linkcode serverMain} runs it. */
export interface ServerCommand extends EndpointCommand {
  /** Serves until the context's signal aborts (printing the ready and stopped lines). */
  serve(context: ServerContext): Promise<unknown>;
}

/** Runs `command` as a script: parses `Deno.args`, serves until Ctrl-C, exits. */
export function serverMain(command: ServerCommand): Promise<never> {
  const how = {
    parse: parseServerFlags,
    shared: SERVER_FLAGS,
    beyond: { doing: "listening", anyone: "send frames" },
  };
  return commandMain(command, how, async ({ endpoint, flags }) => {
    await command.serve({ endpoint, flags, signal: shutdownSignal() });
  });
}
