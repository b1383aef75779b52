/**
 * What the four mains (server, client, publisher, subscriber) share: a
 * command that takes `--endpoint`, the context its transport code gets, and
 * the parsing of `--endpoint` with a warning where it reaches beyond this
 * machine.
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
import type { CommandSpec } from "./flags.ts";
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

/** `command` with `--endpoint` before its own flags. */
export function withEndpointFlag<C extends EndpointCommand>(command: C): C {
  const { default: url, kinds } = command.endpoint;
  return { ...command, flags: { ...endpointFlag(url, kinds), ...command.flags } };
}

/**
 * Parses `--endpoint` (in `flags`) against the kinds `command` takes. With
 * `beyond`, says on stderr when the endpoint reaches beyond this machine:
 * `beyond.doing` there, and anyone who can reach it can `beyond.anyone`.
 */
export function commandEndpoint(
  command: EndpointCommand,
  flags: Record<string, string | boolean | undefined>,
  beyond?: { doing: string; anyone: string },
): Endpoint {
  const endpoint = parseEndpoint(flags.endpoint as string, command.endpoint.kinds);
  if (beyond && "host" in endpoint && !isLoopback(endpoint.host)) {
    console.error(
      `${command.name}: ${beyond.doing} on ${endpoint.url}, beyond this machine: anyone who can reach it can ${beyond.anyone}`,
    );
  }
  return endpoint;
}
