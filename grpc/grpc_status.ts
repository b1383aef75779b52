/**
 * gRPC status codes and the header values of gRPC over HTTP/2 (PROTOCOL-HTTP2.md
 * of grpc/grpc): `grpc-timeout`, the percent-encoding of `grpc-message`, the
 * status a client gives an HTTP status that is not 200, and the one-line
 * error each client of framebench reports for a call that failed (the same
 * for grpc-js and framebench's own HTTP/2 client).
 *
 * @module
 */

import { FrameRefused } from "../common/echo.ts";

/** gRPC status codes. */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** The name of a status code (`RESOURCE_EXHAUSTED`), or the number for an unknown one. */
export function statusName(code: number): string {
  return Object.entries(Status).find(([, c]) => c === code)?.[0] ?? String(code);
}

/** A call that ended with a status other than OK. */
export class GrpcError extends Error {
  /** The status code. */
  readonly code: number;
  /** The status message (`grpc-message`). */
  readonly details: string;

  constructor(code: number, details: string) {
    super(`${statusName(code)}: ${details}`);
    this.name = "GrpcError";
    this.code = code;
    this.details = details;
  }
}

const TIMEOUT_UNITS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000001,
};

/** Reads a `grpc-timeout` value (`5000m`, at most 8 digits and a unit) as ms; undefined if malformed. */
export function parseTimeout(value: string): number | undefined {
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  return match ? Number(match[1]) * TIMEOUT_UNITS[match[2]] : undefined;
}

/** Writes `ms` as a `grpc-timeout` value (whole milliseconds, or seconds when too many). */
export function formatTimeout(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  return whole < 1e8 ? `${whole}m` : `${Math.min(99_999_999, Math.ceil(whole / 1000))}S`;
}

/** Percent-encodes a `grpc-message` (bytes outside 0x20-0x7e, and `%`), as UTF-8. */
export function encodeGrpcMessage(text: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Decodes a `grpc-message` (header bytes as Latin-1 characters); a bad escape stays as it is. */
export function decodeGrpcMessage(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value.slice(i + 1, i + 3);
    if (value[i] === "%" && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(value.charCodeAt(i) & 0xff);
    }
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

/** The status a client gives a response whose HTTP status is not 200 (PROTOCOL-HTTP2.md / http-grpc-status-mapping.md). */
export function statusFromHttp(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return Status.INTERNAL;
    case 401:
      return Status.UNAUTHENTICATED;
    case 403:
      return Status.PERMISSION_DENIED;
    case 404:
      return Status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Status.UNAVAILABLE;
    default:
      return Status.UNKNOWN;
  }
}

/**
 * The error a framebench client reports for a call that ended with `code`
 * and `details` at `endpointUrl`: {@linkcode FrameRefused} for a frame the
 * server refused (the run goes on), a one-line `Error` otherwise (the run
 * ends).
 */
export function callFailure(
  code: number,
  details: string,
  endpointUrl: string,
  timeoutSeconds: number,
): Error {
  // A connection that broke shows as UNAVAILABLE, or as INTERNAL when it
  // broke while writing (EPIPE): either way, the server is gone.
  const broken = code === Status.UNAVAILABLE ||
    (code === Status.INTERNAL && /EPIPE|ECONNRESET|socket hang up/.test(details));
  if (broken) {
    return new Error(
      `the server at ${endpointUrl} is unreachable or gone (${details}): is \`deno task grpc:server\` running there?`,
    );
  }
  switch (code) {
    case Status.RESOURCE_EXHAUSTED:
    case Status.INVALID_ARGUMENT:
      return new FrameRefused(`${statusName(code)}: ${details}`);
    case Status.CANCELLED:
      return new Error(
        `the server at ${endpointUrl} cancelled the call (${details}): was it stopped?`,
      );
    case Status.DEADLINE_EXCEEDED:
      return new Error(
        `no reply from ${endpointUrl} within ${timeoutSeconds} s (deadline exceeded)`,
      );
    default:
      return new Error(`${statusName(code)} from ${endpointUrl}: ${details}`);
  }
}
