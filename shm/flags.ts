/**
 * The flags that the shared-memory server and client share, so that their
 * defaults match.
 *
 * @module
 */

import { type FlagSpecs, UsageError } from "../common/flags.ts";
import { checkName, DEFAULT_NAME } from "./doorway.ts";

/** The `--name` flag, the same on both sides. */
export const NAME_FLAG: FlagSpecs = {
  name: {
    type: "string",
    default: DEFAULT_NAME,
    description: "name of the server's shared-memory segment (/dev/shm/NAME on Linux)",
  },
};

/** Parses `--name`; throws {@linkcode UsageError} for a name that is not a plain file name. */
export function parseName(value: string | boolean | undefined): string {
  const name = typeof value === "string" ? value : DEFAULT_NAME;
  const problem = checkName(name);
  if (problem) throw new UsageError(problem);
  return name;
}

/** The ZeroMQ endpoint of the `zmq` variant for segment `name`: a unix socket beside it. */
export function zmqEndpoint(name: string): { url: string; path: string } {
  const path = `/tmp/${name}.sock`;
  return { url: `ipc://${path}`, path };
}
