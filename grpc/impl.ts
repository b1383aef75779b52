/**
 * The `--impl` flag of the gRPC server and client: which gRPC implementation
 * carries the frames. Both speak the same gRPC on the wire, so either side
 * works with the other (and with any gRPC peer, e.g. Python's grpcio).
 *
 * @module
 */

import { type FlagSpecs, UsageError } from "../common/flags.ts";

/** The implementations: `lean` is framebench's own HTTP/2 (./lean_server.ts, ./lean_client.ts), `js` is @grpc/grpc-js. */
export const IMPLS = ["lean", "js"] as const;
/** An implementation. */
export type ImplName = typeof IMPLS[number];

/** The implementation by default (the faster one, see README.md). */
export const DEFAULT_IMPL: ImplName = "lean";

/** The `--impl` flag. */
export const IMPL_FLAG: FlagSpecs = {
  impl: {
    type: "string",
    default: DEFAULT_IMPL,
    description: "gRPC implementation: lean (framebench's own HTTP/2) or js (@grpc/grpc-js)",
  },
};

/** Reads `--impl`; throws {@linkcode UsageError} for another value. */
export function parseImpl(value: string | boolean | undefined): ImplName {
  if (value === undefined) return DEFAULT_IMPL;
  if ((IMPLS as readonly unknown[]).includes(value)) return value as ImplName;
  throw new UsageError(`--impl must be ${IMPLS.join(" or ")}, got "${value}"`);
}
