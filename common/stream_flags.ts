/**
 * The flags that every publisher and every subscriber of the stream mode
 * shares, parsed into options.
 *
 * @module
 */

import { type FrameGeometry, parseSize } from "./frame.ts";
import {
  type CommandSpec,
  type FlagSpecs,
  HELP_FLAG,
  JSON_FLAG,
  numberFlag,
  type Parsed,
  parseFlags,
  RECEIVER_FLAGS,
  SIZE_FLAG,
  UsageError,
} from "./flags.ts";
import type { TargetFps } from "./pacer.ts";
import type { Overflow } from "./stream_record.ts";

/** The flags every publisher takes (`--overflow`'s choices are the transport's). */
export const PUBLISHER_FLAGS: FlagSpecs = {
  size: SIZE_FLAG,
  fps: { type: "string", default: "30", description: "frames per second, or max" },
  seconds: { type: "string", description: "seconds to publish (default: until Ctrl-C)" },
  subscribers: {
    type: "string",
    default: "0",
    description: "subscribers to wait for before the first frame",
  },
  timeout: {
    type: "string",
    default: "10",
    description: "seconds to wait for --subscribers to join",
  },
  overflow: { type: "string", description: "what a subscriber that cannot keep up gets" },
  json: JSON_FLAG,
  help: HELP_FLAG,
};

/** The flags every subscriber takes. */
export const SUBSCRIBER_FLAGS: FlagSpecs = {
  size: SIZE_FLAG,
  seconds: {
    type: "string",
    description: "seconds to measure after the warm-up (default: until the stream ends)",
  },
  warmup: {
    type: "string",
    default: "1",
    description: "seconds after the first frame whose latency is not measured",
  },
  timeout: {
    type: "string",
    default: "5",
    description: "seconds without a frame before the publisher is reported gone",
  },
  deadline: {
    type: "string",
    default: "33.3",
    description: "ms after its publish time at which a frame is late",
  },
  slow: { type: "string", default: "0", description: "ms of deliberate work per frame" },
  ...RECEIVER_FLAGS,
};

/** A publisher's options. */
export interface PublisherOptions {
  /** Frame geometry (`--size`). Default: 1920x1080 rgb24. */
  geometry: FrameGeometry;
  /** Target rate (`--fps`). Default: 30. */
  fps: TargetFps;
  /** Seconds to publish (`--seconds`). Default: until Ctrl-C. */
  seconds?: number;
  /** Subscribers to wait for before the first frame (`--subscribers`). Default: 0. */
  subscribers: number;
  /** Seconds to wait for them (`--timeout`). Default: 10. */
  timeout: number;
  /** What a slow subscriber gets (`--overflow`). Default: the transport's first choice. */
  overflow: Overflow;
  /** One JSON line as the record (`--json`). Default: false. */
  json: boolean;
}

/** A subscriber's options. */
export interface SubscriberOptions {
  /** Frame geometry expected (`--size`). Default: 1920x1080 rgb24. */
  geometry: FrameGeometry;
  /** Seconds to measure (`--seconds`). Default: until the stream ends. */
  seconds?: number;
  /** Seconds of warm-up (`--warmup`). Default: 1. */
  warmup: number;
  /** Seconds without a frame before the publisher is gone (`--timeout`). Default: 5. */
  timeout: number;
  /** Lateness deadline in ms (`--deadline`). Default: 33.3. */
  deadlineMs: number;
  /** Deliberate work per frame in ms (`--slow`). Default: 0. */
  slowMs: number;
  /** Show the frames in a window (`--display`). Default: false. */
  display: boolean;
  /** One JSON line as the record (`--json`). Default: false. */
  json: boolean;
  /** Stop at the first frame that fails verification (`--strict`). Default: false. */
  strict: boolean;
}

function geometryFlag(value: string | boolean | undefined): FrameGeometry {
  try {
    return parseSize(value as string);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Parses `--fps`: a positive number or `max`. */
export function fpsFlag(value: string | boolean | undefined): TargetFps {
  return value === "max" ? "max" : numberFlag("fps", value);
}

/** Parses a publisher's flags; `overflows` are the transport's choices, the first the default. */
export function parsePublisherFlags(
  args: string[],
  command: CommandSpec,
  overflows: readonly Overflow[],
): Parsed<PublisherOptions> {
  const v = parseFlags(args, command, PUBLISHER_FLAGS);
  const overflow = overflows.find((o) => o === (v.overflow ?? overflows[0]));
  if (overflow === undefined) {
    throw new UsageError(
      `--overflow must be ${overflows.join(" or ")} for this transport, got "${v.overflow}"`,
    );
  }
  return {
    help: v.help === true,
    flags: v,
    options: {
      geometry: geometryFlag(v.size),
      fps: fpsFlag(v.fps),
      seconds: v.seconds === undefined ? undefined : numberFlag("seconds", v.seconds),
      subscribers: numberFlag("subscribers", v.subscribers, { inclusive: true, integer: true }),
      timeout: numberFlag("timeout", v.timeout),
      overflow,
      json: v.json === true,
    },
  };
}

/** Parses a subscriber's flags. */
export function parseSubscriberFlags(
  args: string[],
  command: CommandSpec,
): Parsed<SubscriberOptions> {
  const v = parseFlags(args, command, SUBSCRIBER_FLAGS);
  return {
    help: v.help === true,
    flags: v,
    options: {
      geometry: geometryFlag(v.size),
      seconds: v.seconds === undefined ? undefined : numberFlag("seconds", v.seconds),
      warmup: numberFlag("warmup", v.warmup, { inclusive: true }),
      timeout: numberFlag("timeout", v.timeout),
      deadlineMs: numberFlag("deadline", v.deadline),
      slowMs: numberFlag("slow", v.slow, { inclusive: true }),
      display: v.display === true,
      json: v.json === true,
      strict: v.strict === true,
    },
  };
}
