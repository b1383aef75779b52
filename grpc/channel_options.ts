/**
 * The grpc-js options of the server and the client: message size limits from
 * the frame size, the HTTP/2 flow-control window, keep-alive. Figures behind
 * each choice: grpc/README.md ("Tuning").
 *
 * @module
 */

import type { ChannelOptions } from "@grpc/grpc-js";
import { type FlagSpecs, numberFlag } from "../common/flags.ts";
import { MESSAGE_OVERHEAD_BYTES } from "./frame_message.ts";

/**
 * Keep-alive ping interval, ms. Either side pings a connection this long
 * silent; it matters for a stream whose peer vanished without closing the
 * connection (a machine gone, a cable pulled), which no read would notice.
 */
export const KEEPALIVE_TIME_MS = 10_000;
/** Keep-alive ping timeout, ms: a peer that does not answer a ping this long is gone. */
export const KEEPALIVE_TIMEOUT_MS = 5_000;

/**
 * HTTP/2 flow-control window of each side, bytes: how much a peer may send
 * before it waits for a WINDOW_UPDATE. HTTP/2's default, 65,535 bytes, makes
 * a 6 MB frame wait for about a hundred window updates on its way; measured
 * at 1080p, 64 MiB (ten frames) on both sides gave the most (1 MiB and 8 MiB
 * were within the noise of it, the default clearly below: see
 * grpc/README.md). A window only allows; memory is used by frames in flight.
 */
export const FLOW_CONTROL_WINDOW_BYTES = 64 * 1024 * 1024;

/** The `--window` flag of the server and the client. */
export const WINDOW_FLAG: FlagSpecs = {
  window: {
    type: "string",
    default: String(FLOW_CONTROL_WINDOW_BYTES),
    description: "HTTP/2 flow-control window in bytes (65535 is HTTP/2's default)",
  },
};

/** Reads `--window`; throws a usage error unless it is 65535 to 2^31-1. */
export function parseWindow(value: string | boolean | undefined): number {
  const bytes = numberFlag("window", value ?? String(FLOW_CONTROL_WINDOW_BYTES), {
    min: 65535,
    inclusive: true,
    integer: true,
  });
  return Math.min(bytes, 2 ** 31 - 1);
}

const KEEPALIVE: ChannelOptions = {
  "grpc.keepalive_time_ms": KEEPALIVE_TIME_MS,
  "grpc.keepalive_timeout_ms": KEEPALIVE_TIMEOUT_MS,
  "grpc.keepalive_permit_without_calls": 1,
};

/** The server's options: it takes and sends messages of up to `maxBytes` of pixels. */
export function serverOptions(maxBytes: number): ChannelOptions {
  return {
    ...KEEPALIVE,
    // A message over the limit is refused with RESOURCE_EXHAUSTED as soon as
    // its 5-byte length prefix is read, before its bytes are buffered.
    "grpc.max_receive_message_length": maxBytes + MESSAGE_OVERHEAD_BYTES,
    "grpc.max_send_message_length": maxBytes + MESSAGE_OVERHEAD_BYTES,
  };
}

/** The client's options for frames of `frameBytes`, with a flow-control window of `window` bytes. */
export function clientOptions(
  frameBytes: number,
  window: number = FLOW_CONTROL_WINDOW_BYTES,
): ChannelOptions {
  return {
    ...KEEPALIVE,
    // Only what comes back is limited here; what the client sends is the
    // server's to limit (a frame over its --max-bytes is refused there).
    "grpc.max_receive_message_length": frameBytes + MESSAGE_OVERHEAD_BYTES,
    "grpc-node.flow_control_window": window,
    // Retries would make grpc-js keep each request in a retry buffer until
    // the reply starts; a frame is not worth retrying (the run counts it).
    "grpc.enable_retries": 0,
  };
}

/** The parts of a grpc-js `Server` that {@linkcode widenServerWindow} reaches into. */
interface ServerInternals {
  commonServerOptions?: { settings?: Record<string, number> };
  http2Servers?: Map<{ on(event: "session", f: (session: Http2Session) => void): void }, unknown>;
}

/** The part of an HTTP/2 session that {@linkcode widenServerWindow} uses. */
interface Http2Session {
  setLocalWindowSize(bytes: number): void;
}

/**
 * Gives the server the same flow-control window as the client.
 *
 * grpc-js has an option for the client's window (`grpc-node.flow_control_window`)
 * but none for the server's, which stays at HTTP/2's 65,535 bytes per stream
 * and per connection: a client then sends a frame in 64 KiB steps, each
 * waiting for the server's WINDOW_UPDATE. This reaches into two private fields
 * of grpc-js 1.14: the HTTP/2 settings every listener is created with (the
 * stream window), and the listeners, to widen each new connection's window.
 * Call it once before `bindAsync` with `phase: "settings"` and once after with
 * `phase: "sessions"`. Returns false, changing nothing, when those fields are
 * not there (another grpc-js version): the server then works, only slower.
 */
export function widenServerWindow(
  server: unknown,
  phase: "settings" | "sessions",
  bytes: number = FLOW_CONTROL_WINDOW_BYTES,
): boolean {
  const internals = server as ServerInternals;
  if (phase === "settings") {
    const common = internals.commonServerOptions;
    if (!common || typeof common !== "object") return false;
    common.settings = { ...common.settings, initialWindowSize: bytes };
    return true;
  }
  if (!(internals.http2Servers instanceof Map)) return false;
  for (const listener of internals.http2Servers.keys()) {
    listener.on("session", (session) => session.setLocalWindowSize(bytes));
  }
  return true;
}
