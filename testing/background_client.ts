/**
 * A client started in the background and watched while it runs, for tests
 * that act at a moment of its run (frames flowing, a segment made) rather
 * than after a fixed delay, which a busy machine can outlast while the client
 * is still starting.
 *
 * @module
 */

import type { ResultRecord } from "../common/record.ts";
import { type Launch, lines, spawn } from "./processes.ts";

/** A client running in the background. */
export interface BackgroundClient {
  /** The process. */
  child: Deno.ChildProcess;
  /** Resolves once it printed a stderr line that matches `pattern`; rejects if it ends first. */
  printed(pattern: RegExp): Promise<string>;
  /** Waits for the exit: the code (128 + N after signal N) and the result record, if any. */
  ended(): Promise<{ code: number; stderr: string; record?: ResultRecord }>;
  /** Kills it (SIGKILL) if it still runs, and waits for its end: for a test's `finally`. */
  kill(): Promise<void>;
}

/** Starts `deno task <task> <args> --json` (or another {@linkcode Launch}) in the background. */
export function startClient(launch: Launch, args: string[]): BackgroundClient {
  const child = spawn(launch, [...args, "--json"]);
  const stdout = new Response(child.stdout).text();
  const stderr = lines(child.stderr);
  const seen: string[] = [];
  const next = async () => {
    const line = await stderr.next();
    if (!line.done) seen.push(line.value);
    return line;
  };
  let end: ReturnType<BackgroundClient["ended"]> | undefined;
  const ended = () =>
    end ??= (async () => {
      while (!(await next()).done) { /* collect the rest */ }
      const status = await child.status;
      const last = (await stdout).trim().split("\n").pop() ?? "";
      let record: ResultRecord | undefined;
      try {
        record = JSON.parse(last);
      } catch { /* no record */ }
      return { code: status.code, stderr: seen.join("\n"), record };
    })();
  return {
    child,
    async printed(pattern) {
      for (let line = await next(); !line.done; line = await next()) {
        if (pattern.test(line.value)) return line.value;
      }
      throw new Error(`the client ended without printing ${pattern}: ${seen.join("\n")}`);
    },
    ended,
    async kill() {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await ended();
    },
  };
}
