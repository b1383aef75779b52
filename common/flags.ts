/**
 * The command-line flags that every client and server shares, parsed with
 * `node:util` parseArgs, and the usage text that `--help` prints.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type FrameGeometry, parseSize, SIZE_PRESETS } from "./frame.ts";

/** A bad flag or flag value: the script prints the message and exits with code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** One flag of a command. */
export interface FlagSpec {
  /** `string` takes a value, `boolean` does not. */
  type: "string" | "boolean";
  /** One line for `--help`. */
  description: string;
  /** The value when the flag is not given. */
  default?: string;
}

/** The flags of a command, by long name (without `--`). */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** What a client or server script is, for its `--help` and its errors. */
export interface CommandSpec {
  /** The task name a user runs, e.g. `zmq:client`. */
  name: string;
  /** One line on what it does. */
  summary: string;
  /** The variants that `--variant` accepts (clients); the first is the default. */
  variants?: readonly string[];
  /** The command's own flags, on top of the shared ones. */
  flags?: FlagSpecs;
}

/** A client script: a command with its variants, whose names have the type `V`. */
export interface ClientSpec<V extends string = string> extends CommandSpec {
  /** The variants that `--variant` accepts, one at least; the first is the default. */
  variants: readonly V[];
}

/** `--size`, as every client, publisher and subscriber takes it. */
export const SIZE_FLAG: FlagSpec = {
  type: "string",
  default: "1080p",
  description: `frame size: ${Object.keys(SIZE_PRESETS).join(", ")} or WxH`,
};

/** `--help`, as every command takes it. */
export const HELP_FLAG: FlagSpec = { type: "boolean", description: "print this help" };

/** `--json`, as every client, publisher and subscriber takes it. */
export const JSON_FLAG: FlagSpec = {
  type: "boolean",
  description: "print the result record as one JSON line on stdout",
};

/** The flags that every command receiving frames (client, subscriber) ends with. */
export const RECEIVER_FLAGS: FlagSpecs = {
  display: { type: "boolean", description: "show the received frames in a window (SDL)" },
  json: JSON_FLAG,
  strict: { type: "boolean", description: "stop at the first frame that fails verification" },
  help: HELP_FLAG,
};

/** The flags every client takes. */
export const CLIENT_FLAGS: FlagSpecs = {
  size: SIZE_FLAG,
  seconds: { type: "string", default: "5", description: "seconds to measure after the warm-up" },
  warmup: { type: "string", default: "1", description: "seconds of warm-up, not measured" },
  frames: { type: "string", description: "stop after this many measured frames" },
  variant: { type: "string", description: "which variant of the transport to measure" },
  timeout: {
    type: "string",
    default: "5",
    description: "seconds to wait for a reply before the server is reported gone",
  },
  ...RECEIVER_FLAGS,
};

/** The flags every server takes. */
export const SERVER_FLAGS: FlagSpecs = { help: HELP_FLAG };

/** Options shared by every client; `V` is the type of its variants' names. */
export interface ClientOptions<V extends string = string> {
  /** Frame geometry (`--size`). Default: 1920x1080 rgb24. */
  geometry: FrameGeometry;
  /** Seconds measured after the warm-up (`--seconds`). Default: 5. */
  seconds: number;
  /** Seconds of warm-up (`--warmup`). Default: 1. */
  warmup: number;
  /** Stop after this many measured frames (`--frames`). Default: no limit. */
  frames?: number;
  /** The transport's variant (`--variant`). Default: the first in the command's list. */
  variant: V;
  /** Seconds to wait for one reply before giving up (`--timeout`). Default: 5. */
  timeout: number;
  /** Show the frames in a window (`--display`). Default: false. */
  display: boolean;
  /** One JSON line as the result (`--json`). Default: false, a readable summary. */
  json: boolean;
  /** Stop at the first frame that fails verification (`--strict`). Default: false. */
  strict: boolean;
}

/** Every client option's default: what a client does with no flags. */
export const DEFAULT_CLIENT_OPTIONS: Readonly<ClientOptions> = {
  geometry: parseSize("1080p"),
  seconds: 5,
  warmup: 1,
  variant: "default",
  timeout: 5,
  display: false,
  json: false,
  strict: false,
};

/** Parsed flags: the shared options plus the command's own flag values. */
export interface Parsed<T> {
  /** True when `--help` was given: print {@linkcode usage} and stop. */
  help: boolean;
  /** The shared options. */
  options: T;
  /** Values of the command's own flags (defaults filled in). */
  flags: Record<string, string | boolean | undefined>;
}

/**
 * Parses `args` against the command's own flags and the `shared` ones: the
 * raw values, defaults filled in. Throws {@linkcode UsageError} for an unknown
 * flag or a missing value.
 */
export function parseFlags(
  args: string[],
  command: CommandSpec,
  shared: FlagSpecs,
): Record<string, string | boolean | undefined> {
  const all = { ...shared, ...command.flags };
  const options = Object.fromEntries(
    Object.entries(all).map(([name, spec]) => [name, { type: spec.type, default: spec.default }]),
  );
  try {
    const { values } = parseArgs({ args, options, strict: true, allowPositionals: false });
    return values as Record<string, string | boolean | undefined>;
  } catch (error) {
    // parseArgs words its errors for node; keep the first sentence, which names the flag.
    const message = (error as Error).message.split(/\.\s|\n/)[0].replace(/'/g, "");
    throw new UsageError(message);
  }
}

/** Parses a positive number flag; `min` is exclusive unless `inclusive`. */
export function numberFlag(
  name: string,
  value: string | boolean | undefined,
  { min = 0, inclusive = false, integer = false } = {},
): number {
  const n = Number(value);
  const ok = typeof value === "string" && value.trim() !== "" && Number.isFinite(n) &&
    (inclusive ? n >= min : n > min) && (!integer || Number.isInteger(n));
  if (!ok) {
    const what = integer ? "a whole number" : "a number";
    throw new UsageError(
      `--${name} must be ${what} ${inclusive ? ">=" : ">"} ${min}, got "${value}"`,
    );
  }
  return n;
}

/**
 * Parses a client's flags. Throws {@linkcode UsageError} for an unknown flag
 * or a bad value.
 */
export function parseClientFlags<V extends string>(
  args: string[],
  command: ClientSpec<V>,
): Parsed<ClientOptions<V>> {
  const v = parseFlags(args, command, CLIENT_FLAGS);
  const { variants } = command;
  const given = (v.variant as string | undefined) ?? variants[0];
  const variant = variants.find((name) => name === given);
  if (variant === undefined) {
    throw new UsageError(`--variant must be one of ${variants.join(", ")}, got "${given}"`);
  }
  let geometry: FrameGeometry;
  try {
    geometry = parseSize(v.size as string);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const options: ClientOptions<V> = {
    geometry,
    seconds: numberFlag("seconds", v.seconds),
    warmup: numberFlag("warmup", v.warmup, { inclusive: true }),
    frames: v.frames === undefined ? undefined : numberFlag("frames", v.frames, { integer: true }),
    variant,
    timeout: numberFlag("timeout", v.timeout),
    display: v.display === true,
    json: v.json === true,
    strict: v.strict === true,
  };
  return { help: v.help === true, options, flags: v };
}

/** Parses a server's flags. Throws {@linkcode UsageError} for an unknown flag. */
export function parseServerFlags(
  args: string[],
  command: CommandSpec,
): Parsed<Record<never, never>> {
  const v = parseFlags(args, command, SERVER_FLAGS);
  return { help: v.help === true, options: {}, flags: v };
}

/** The `--help` text of a command. */
export function usage(command: CommandSpec, shared: FlagSpecs): string {
  const all = { ...command.flags, ...shared };
  const lines = Object.entries(all).map(([name, spec]) => {
    const flag = spec.type === "string" ? `--${name} VALUE` : `--${name}`;
    let text = spec.description;
    if (name === "variant" && command.variants) {
      text += `: ${command.variants.join(", ")} (default ${command.variants[0]})`;
    } else if (spec.default !== undefined) {
      text += ` (default ${spec.default})`;
    }
    return `  ${flag.padEnd(22)} ${text}`;
  });
  return `Usage: deno task ${command.name} [flags]\n\n${command.summary}\n\nFlags:\n${
    lines.join("\n")
  }`;
}

/** The `--max-bytes` flag of a server, `defaultBytes` by default; `description` says what is refused. */
export function maxBytesFlag(defaultBytes: number, description: string): FlagSpecs {
  return { "max-bytes": { type: "string", default: String(defaultBytes), description } };
}
