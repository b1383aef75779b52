/**
 * Where the gRPC server listens and the client connects: `--endpoint
 * tcp://HOST:PORT` or `unix:///PATH` (../common/endpoint.ts), with one
 * default for both sides, and the endpoint as grpc-js names its target.
 *
 * @module
 */

import { type Endpoint, type EndpointKind, parseEndpoint } from "../common/endpoint.ts";

/** Where the server listens and the client connects by default: gRPC's customary port. */
export const DEFAULT_ENDPOINT = "tcp://127.0.0.1:50051";

/** The kinds of `--endpoint` gRPC takes. */
export const ENDPOINT_KINDS: readonly EndpointKind[] = ["tcp", "unix"];

/** {@linkcode DEFAULT_ENDPOINT}, parsed. */
export function defaultEndpoint(): Endpoint {
  return parseEndpoint(DEFAULT_ENDPOINT, ENDPOINT_KINDS);
}

/** The target as grpc-js takes it: `127.0.0.1:50051`, `[::1]:50051` or `unix:///tmp/x.sock`. */
export function grpcTarget(endpoint: Endpoint): string {
  return endpoint.kind === "tcp" ? endpoint.url.slice("tcp://".length) : endpoint.url;
}
