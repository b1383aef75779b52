/**
 * The control frames of HTTP/2 (SETTINGS, WINDOW_UPDATE, PING, RST_STREAM,
 * GOAWAY, PRIORITY, and those a peer must not send), checked and read into
 * what they say: a frame that breaks RFC 9113 throws the
 * {@linkcode ConnectionError} that ends the connection. What they do to a
 * connection is ./http2_connection.ts's.
 *
 * @module
 */

import {
  DEFAULT_MAX_FRAME_SIZE,
  ErrorCode,
  Flag,
  FrameType,
  MAX_FRAME_SIZE_LIMIT,
  MAX_WINDOW,
  parseSettings,
  readU32,
  Setting,
} from "./http2_frames.ts";
import { ConnectionError } from "./http2_stream.ts";

/** What a control frame says. */
export type Control =
  | { kind: "settings"; settings: [number, number][] }
  | { kind: "settings-ack" }
  | { kind: "window-update"; streamId: number; increment: number }
  | { kind: "ping"; payload: Uint8Array }
  | { kind: "ping-ack" }
  | { kind: "rst-stream"; streamId: number; code: number }
  | { kind: "goaway"; last: number; code: number; debug: string }
  | { kind: "ignored" };

/** Reads a control frame; throws {@linkcode ConnectionError} for one that breaks the protocol. */
export function parseControl(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array,
): Control {
  const fail = (code: number, message: string) => new ConnectionError(code, message);
  switch (type) {
    case FrameType.SETTINGS: {
      if (streamId !== 0) throw fail(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
      if (flags & Flag.ACK) {
        if (payload.length !== 0) {
          throw fail(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
        }
        return { kind: "settings-ack" };
      }
      const settings = parseSettings(payload);
      if (!settings) throw fail(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS of a bad length");
      for (const [id, value] of settings) checkSetting(id, value);
      return { kind: "settings", settings };
    }
    case FrameType.WINDOW_UPDATE:
      if (payload.length !== 4) {
        throw fail(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE of a bad length");
      }
      return { kind: "window-update", streamId, increment: readU32(payload) & 0x7fffffff };
    case FrameType.PING:
      if (payload.length !== 8) throw fail(ErrorCode.FRAME_SIZE_ERROR, "PING not of 8 bytes");
      if (streamId !== 0) throw fail(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
      return flags & Flag.ACK ? { kind: "ping-ack" } : { kind: "ping", payload };
    case FrameType.RST_STREAM:
      if (payload.length !== 4) {
        throw fail(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM of a bad length");
      }
      if (streamId === 0) throw fail(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
      return { kind: "rst-stream", streamId, code: readU32(payload) };
    case FrameType.GOAWAY:
      if (payload.length < 8) throw fail(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY too short");
      return {
        kind: "goaway",
        last: readU32(payload) & 0x7fffffff,
        code: readU32(payload, 4),
        debug: new TextDecoder().decode(payload.subarray(8)).slice(0, 200),
      };
    case FrameType.PUSH_PROMISE:
      throw fail(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE, which this side disabled");
    case FrameType.CONTINUATION:
      throw fail(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without HEADERS");
    case FrameType.PRIORITY:
      if (payload.length !== 5) throw fail(ErrorCode.FRAME_SIZE_ERROR, "PRIORITY not of 5 bytes");
      return { kind: "ignored" };
    default:
      return { kind: "ignored" }; // unknown frame types are ignored (RFC 9113 section 4.1)
  }
}

/** Throws {@linkcode ConnectionError} for a setting value the protocol forbids. */
function checkSetting(id: number, value: number): void {
  switch (id) {
    case Setting.INITIAL_WINDOW_SIZE:
      if (value > MAX_WINDOW) {
        throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "INITIAL_WINDOW_SIZE over 2^31-1");
      }
      return;
    case Setting.MAX_FRAME_SIZE:
      if (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_FRAME_SIZE_LIMIT) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `MAX_FRAME_SIZE of ${value}`);
      }
      return;
    case Setting.ENABLE_PUSH:
      if (value > 1) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `ENABLE_PUSH of ${value}`);
      return;
  }
}
