/**
 * The one result record each client prints, and the versions of what ran.
 *
 * @module
 */

import config from "../deno.json" with { type: "json" };
import type { MeterSummary } from "./meter.ts";
import type { FrameErrorKind } from "./verify.ts";

/** Versions of the runtime and of the packages a run used. */
export interface RuntimeInfo {
  /** Deno version. */
  deno: string;
  /** V8 version. */
  v8: string;
  /** TypeScript version. */
  typescript: string;
  /** Operating system and CPU architecture, e.g. `linux x86_64`. */
  platform: string;
  /** Package (or native library) name to version. */
  packages: Record<string, string>;
}

/** How a run ended. */
export type RunStatus = "ok" | "interrupted" | "failed";

/**
 * The result of one client run: the line the runner reads. Its meter fields
 * (frames, seconds, fps, mbPerS, latencyMs, cpuMsPerFrame) count the
 * measured round trips, after the warm-up.
 */
export interface ResultRecord extends MeterSummary {
  /** Transport name: `baseline`, `zmq`, `shm`, `grpc`, `rest`. */
  transport: string;
  /** The transport's variant. */
  variant: string;
  /** Where the client connected (a URL), or `in-process`. */
  endpoint: string;
  /** Frame width in pixels. */
  width: number;
  /** Frame height in pixels. */
  height: number;
  /** Pixel format. */
  format: string;
  /** Bytes of one raw frame. */
  frameBytes: number;
  /** Frames that passed verification (warm-up included). */
  verified: number;
  /** Frames that failed verification or were refused (warm-up included). */
  errors: number;
  /** Failures by kind. */
  errorKinds: Partial<Record<FrameErrorKind | "refused", number>>;
  /** The first failure, as one line, when there was one. */
  firstError?: string;
  /** `ok` (also when the window was closed), `interrupted` (Ctrl-C, SIGTERM) or `failed`. */
  status: RunStatus;
  /** Why the run failed, when it did. */
  reason?: string;
  /** Versions of what ran. */
  runtime: RuntimeInfo;
}

/** Each npm package of deno.json's imports with the version it is pinned to. */
export const PINNED_VERSIONS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(config.imports as Record<string, string>).map(([name, spec]) => [
    name,
    spec.slice(spec.lastIndexOf("@") + 1),
  ]),
);

/**
 * The versions of Deno, V8, TypeScript and of the named packages (as pinned in
 * deno.json), plus any `extra` entries (e.g. a native library's version).
 */
export function runtimeInfo(
  packages: readonly string[] = [],
  extra: Record<string, string> = {},
): RuntimeInfo {
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    platform: `${Deno.build.os} ${Deno.build.arch}`,
    packages: {
      ...Object.fromEntries(packages.map((name) => [name, PINNED_VERSIONS[name] ?? "unknown"])),
      ...extra,
    },
  };
}

/** A readable summary of a record, a few lines for a terminal. */
export function formatSummary(r: ResultRecord): string {
  const l = r.latencyMs;
  const lines = [
    `${r.transport} ${r.variant} ${r.width}x${r.height} ${r.format} over ${r.endpoint}: ${r.status}${
      r.reason ? ` (${r.reason})` : ""
    }`,
    `  ${r.fps.toFixed(1)} fps, ${r.mbPerS.toFixed(0)} MB/s, ${r.frames} frames in ${
      r.seconds.toFixed(2)
    } s`,
    `  round trip p50 ${l.p50.toFixed(2)} ms, p90 ${l.p90.toFixed(2)}, p99 ${
      l.p99.toFixed(2)
    }, max ${l.max.toFixed(2)}`,
    `  CPU ${r.cpuMsPerFrame.toFixed(3)} ms per frame (client)`,
    `  verified ${r.verified}, errors ${r.errors}${
      r.firstError ? ` (first: ${r.firstError})` : ""
    }`,
  ];
  return lines.join("\n");
}
