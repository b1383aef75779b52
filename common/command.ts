/**
 * What the four mains (server, client, publisher, subscriber) share: a
 * command that takes `--endpoint`, the context its transport code gets, and
 * {@linkcode commandMain}: flags, `--help`, and `--endpoint` with a warning
 * where it reaches beyond this machine.
 *
 * @module
 */

import {
  type Endpoint,
  endpointFlag,
  type EndpointKind,
  isLoopback,
  parseEndpoint,
} from "./endpoint.ts";
import { runMain } from "./cli.ts";
import { type CommandSpec, type FlagSpecs, type Parsed, usage } from "./flags.ts";
import type { RuntimeInfo } from "./record.ts";

/** The `--endpoint` of a transport's command. */
export interface EndpointSpec {
  /** The `--endpoint` default and the kinds of URL the transport takes. */
  endpoint: { default: string; kinds: readonly EndpointKind[] };
}

/** A transport's command that takes `--endpoint`. */
export type EndpointCommand = CommandSpec & EndpointSpec;

/** A publisher or subscriber of the stream mode; `O` is the type of what it opens. */
export interface StreamCommand<O> extends EndpointCommand {
  /** Transport name in the record, e.g. `socket`. */
  transport: string;
  /** Versions for the record (given what it opened). Default: the runtime's, no packages. */
  runtime?: (opened: O) => RuntimeInfo;
}

/** What every main gives its transport's code. */
export interface CommandContext {
  /** Where to listen or connect (`--endpoint`). */
  endpoint: Endpoint;
  /** Values of the transport's own flags, defaults filled in. */
  flags: Record<string, string | boolean | undefined>;
  /** Aborts on Ctrl-C or SIGTERM: the transport stops waiting and returns. */
  signal: AbortSignal;
}

/** How a main reads its flags; `C` is its command's type, `O` that of its shared options. */
export interface CommandFlags<C extends EndpointCommand, O> {
  /** Parses the arguments against the command (`--endpoint` among its flags). */
  parse(args: string[], command: C): Parsed<O>;
  /** The flags that every command of its kind takes, for `--help`. */
  shared: FlagSpecs;
  /**
   * Where the endpoint reaches beyond this machine, a warning on stderr:
   * `doing` there, and anyone who can reach it can `anyone`. Default: none.
   */
  beyond?: { doing: string; anyone: string };
}

/** What a main's body gets: the parsed flags and the endpoint. */
export interface ParsedCommand<O> {
  /** The shared options. */
  options: O;
  /** Values of the transport's own flags, defaults filled in. */
  flags: Record<string, string | boolean | undefined>;
  /** Where to listen or connect (`--endpoint`). */
  endpoint: Endpoint;
}

/**
 * Runs `command` as a script: adds `--endpoint` to its flags, parses
 * `Deno.args`, prints `--help`, parses the endpoint, then runs `body`, whose
 * number is the exit code (errors: see {@linkcode runMain}).
 */
export function commandMain<C extends EndpointCommand, O>(
  command: C,
  how: CommandFlags<C, O>,
  body: (parsed: ParsedCommand<O>) => Promise<number | void>,
): Promise<never> {
  const { default: url, kinds } = command.endpoint;
  const spec: C = { ...command, flags: { ...endpointFlag(url, kinds), ...command.flags } };
  return runMain(command.name, async (args) => {
    const { help, options, flags } = how.parse(args, spec);
    if (help) return console.log(usage(spec, how.shared));
    const endpoint = parseEndpoint(flags.endpoint as string, kinds);
    if (how.beyond && "host" in endpoint && !isLoopback(endpoint.host)) {
      console.error(
        `${command.name}: ${how.beyond.doing} on ${endpoint.url}, beyond this machine: anyone who can reach it can ${how.beyond.anyone}`,
      );
    }
    return await body({ options, flags, endpoint });
  });
}
