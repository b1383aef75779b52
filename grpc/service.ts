/**
 * The `FrameEcho` service of ../proto/frames.proto, loaded at run time with
 * @grpc/proto-loader (no generated code), as the server and the client both
 * use it.
 *
 * @module
 */

import * as grpc from "@grpc/grpc-js";
import { type FlagSpecs, UsageError } from "../common/flags.ts";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import { FrameCodec, type FrameFieldNumbers } from "./frame_codec.ts";

/** The schema file. */
export const PROTO_PATH: string = fileURLToPath(new URL("../proto/frames.proto", import.meta.url));

import { SERVICE_NAME } from "./service_paths.ts";
export { SERVICE_NAME };

/** A `framebench.Frame` message as the server and the client see it. */
export interface FrameMessage {
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** Pixel format code (`PixelFormat` in the schema; 1 = rgb24). */
  format: number;
  /** Frame number. */
  index: number;
  /** Send time, ms since the Unix epoch. */
  timestamp: number;
  /** The pixels, or this chunk's pixels. */
  pixels: Uint8Array;
  /** Chunks only: where `pixels` start in the frame; 0 otherwise. */
  offset: number;
  /** Chunks only: bytes of the whole frame; 0 for a whole frame. */
  frameBytes: number;
}

/**
 * How proto-loader maps the schema to objects: camelCase field names,
 * numbers for uint64 and enums, every field present.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: Number,
  defaults: true,
};

/** The loaded schema: proto-loader's package definition. */
export function loadSchema(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(PROTO_PATH, LOADER_OPTIONS);
}

/** The protobuf type of each `Frame` field this code reads and writes. */
const FIELD_TYPES: Readonly<Record<keyof FrameMessage, string>> = {
  width: "TYPE_UINT32",
  height: "TYPE_UINT32",
  format: "TYPE_ENUM",
  index: "TYPE_UINT64",
  timestamp: "TYPE_DOUBLE",
  pixels: "TYPE_BYTES",
  offset: "TYPE_UINT32",
  frameBytes: "TYPE_UINT32",
};

/**
 * The field numbers of `Frame` as the schema declares them. Throws when the
 * schema lacks a field or gives it another type than this code expects.
 */
export function frameFields(
  schema: protoLoader.PackageDefinition = loadSchema(),
): FrameFieldNumbers {
  const type = (schema["framebench.Frame"] as protoLoader.MessageTypeDefinition<unknown, unknown>)
    .type as {
      field: { name: string; number: number; type: string }[];
    };
  const numbers: Partial<Record<keyof FrameMessage, number>> = {};
  for (const [name, expected] of Object.entries(FIELD_TYPES) as [keyof FrameMessage, string][]) {
    const field = type.field.find((f) => f.name === name);
    if (!field) throw new Error(`${PROTO_PATH}: Frame has no field ${name}`);
    if (field.type !== expected) {
      throw new Error(`${PROTO_PATH}: Frame.${name} is ${field.type}, expected ${expected}`);
    }
    numbers[name] = field.number;
  }
  return numbers as FrameFieldNumbers;
}

/**
 * How messages are encoded: `frame` is {@linkcode FrameCodec} (the default),
 * `protobufjs` is what proto-loader provides, kept to compare.
 */
export type CodecName = "frame" | "protobufjs";

/**
 * The `FrameEcho` service definition, for `Server.addService` and a client
 * constructor, with the codec `codec` (default `frame`) on both methods.
 */
export function frameEchoService(
  codec: CodecName = "frame",
  schema: protoLoader.PackageDefinition = loadSchema(),
): grpc.ServiceDefinition {
  const service = schema[SERVICE_NAME] as grpc.ServiceDefinition;
  if (codec === "protobufjs") return service;
  const frames = new FrameCodec(frameFields(schema));
  return Object.fromEntries(
    Object.entries(service).map(([name, method]) => [name, {
      ...method,
      requestSerialize: frames.serialize,
      requestDeserialize: frames.deserialize,
      responseSerialize: frames.serialize,
      responseDeserialize: frames.deserialize,
    }]),
  );
}

/** A client constructor for `FrameEcho`. */
export function frameEchoClient(
  service: grpc.ServiceDefinition = frameEchoService(),
): grpc.ServiceClientConstructor {
  return grpc.makeGenericClientConstructor(service, "FrameEcho");
}

/** The `--codec` flag of the server and the client. */
export const CODEC_FLAG: FlagSpecs = {
  codec: {
    type: "string",
    default: "frame",
    description: "message codec: frame (framebench's own) or protobufjs (to compare)",
  },
};

/** Reads `--codec`; throws {@linkcode UsageError} for another value. */
export function parseCodec(value: string | boolean | undefined): CodecName {
  if (value === undefined || value === "frame" || value === "protobufjs") return value ?? "frame";
  throw new UsageError(`--codec must be frame or protobufjs, got "${value}"`);
}

/**
 * Turns grpc-js's own log off unless `GRPC_VERBOSITY` is set: grpc-js logs
 * some errors on stderr (e.g. "No address added out of total 1 resolved" for
 * a port in use) that the scripts already report in one line of their own.
 */
export function quietGrpcLog(): void {
  if (Deno.env.get("GRPC_VERBOSITY") === undefined) grpc.setLogVerbosity(grpc.logVerbosity.NONE);
}
