/**
 * The names of the `FrameEcho` service of ../proto/frames.proto as they go
 * over the wire (`:path` is `/<service>/<method>`), and the server's default
 * message limit: what both implementations share, without loading grpc-js.
 *
 * @module
 */

/** The service's full name in the schema. */
export const SERVICE_NAME = "framebench.FrameEcho";

/** The `:path` of the unary `Echo`. */
export const ECHO_PATH = `/${SERVICE_NAME}/Echo`;

/** The `:path` of the bidirectional `EchoStream`. */
export const ECHO_STREAM_PATH = `/${SERVICE_NAME}/EchoStream`;

/** The largest frame the server takes by default: one 3840x2160 rgb24 frame. */
export const DEFAULT_MAX_BYTES = 3840 * 2160 * 3;

/** The publishing service's full name in the schema (the stream mode). */
export const PUBLISHER_SERVICE_NAME = "framebench.FramePublisher";

/** The `:path` of the server-streaming `Subscribe`. */
export const SUBSCRIBE_PATH = `/${PUBLISHER_SERVICE_NAME}/Subscribe`;
