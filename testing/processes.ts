/**
 * Starting the project's own tasks as real processes, as a user would in two
 * terminals: a server whose `ready` line is awaited, a client whose result
 * record is read. Used by the runner and by the process-level tests.
 *
 * @module
 */

import config from "../deno.json" with { type: "json" };
import { shutdownSignal } from "../common/cli.ts";
import type { ResultRecord } from "../common/record.ts";
import type { ReadyEvent, StoppedEvent } from "../common/server.ts";

/** The project's root folder (where deno.json is). */
export const ROOT = new URL("../", import.meta.url).pathname;

/**
 * The arguments of `deno task <name>`, read from deno.json, without the
 * leading `deno`: the runner starts exactly what the task runs.
 */
export function taskArgs(name: string): string[] {
  const tasks = config.tasks as Record<string, string | { command: string }>;
  const task = tasks[name];
  if (task === undefined) throw new Error(`no task "${name}" in deno.json`);
  const command = typeof task === "string" ? task : task.command;
  const words = command.split(/\s+/);
  if (words[0] !== "deno") throw new Error(`task "${name}" does not start with deno`);
  return words.slice(1);
}

/** Options for starting a task's process. */
export interface StartOptions {
  /** Milliseconds to wait for the ready line (servers) or the exit (clients). Default: 20000. */
  timeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Send this signal to a client after this many milliseconds (fault tests). */
  signalAfter?: { signal: Deno.Signal; ms: number };
  /** Called with each line a client prints on stderr, as it comes (a test waiting for progress). */
  onStderrLine?: (line: string) => void;
  /** Send this signal to a client when it first prints a stderr line that matches (fault tests). */
  signalOnLine?: { signal: Deno.Signal; line: RegExp };
  /**
   * The network namespace to run it in (`ip netns exec NAME`, which needs
   * root; the process is then `deno` itself, so signals reach it as usual).
   * Default: this process's.
   */
  netns?: string;
}

/** Splits a byte stream into text lines. */
export async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    let at: number;
    while ((at = rest.indexOf("\n")) >= 0) {
      yield rest.slice(0, at);
      rest = rest.slice(at + 1);
    }
  }
  if (rest) yield rest;
}

async function collectLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<string> {
  let text = "";
  for await (const line of lines(stream)) {
    onLine(line);
    text += line + "\n";
  }
  return text;
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
  return text;
}

/**
 * What to start: the name of a deno.json task, or the arguments of `deno`
 * itself (e.g. `["run", "some_script.ts"]`), as the runner's tests do.
 */
export type Launch = string | { deno: string[] };

function launchName(launch: Launch): string {
  return typeof launch === "string" ? launch : launch.deno.join(" ");
}

/** The processes started here that have not exited yet. */
const running = new Set<Deno.ChildProcess>();
/** Set once this process is stopping: nothing new is started. */
let stopping = false;

/**
 * Starts `deno task <task> <args>` (or another {@linkcode Launch}) in the
 * project's root, stdin closed, stdout and stderr piped for the caller to
 * read, and returns at once: for a process that is neither a server awaited
 * for its ready line nor a client run to its end.
 */
export function spawn(
  launch: Launch,
  args: string[] = [],
  options: Pick<StartOptions, "env" | "netns"> = {},
): Deno.ChildProcess {
  if (stopping) throw new Error("interrupted");
  const { env, netns } = options;
  const base = typeof launch === "string" ? taskArgs(launch) : launch.deno;
  const deno = [Deno.execPath(), ...base, ...args];
  // ip netns exec replaces itself with deno (exec), so the child is deno.
  const [program, ...rest] = netns ? ["ip", "netns", "exec", netns, ...deno] : deno;
  const child = new Deno.Command(program, {
    args: rest,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  running.add(child);
  child.status.finally(() => running.delete(child));
  return child;
}

/**
 * Makes SIGINT and SIGTERM of this process (the runner, the soak) stop its
 * servers and clients, and returns the signal that tells the caller to stop
 * as well: nothing new is started, and the caller reports what finished and
 * exits with code 130. A Ctrl-C in a terminal reaches the children too, and
 * they stop on their own; a signal sent to this process alone (`kill`, a CI
 * timeout) does not: whatever still runs after a second gets SIGTERM (a
 * server then removes its sockets and segments), and SIGKILL 10 s later. A
 * second Ctrl-C (see {@linkcode shutdownSignal}) sends SIGTERM to every
 * child and exits at once.
 */
export function stopChildrenOnSignal(name: string): AbortSignal {
  const signal = shutdownSignal({
    beforeForcedExit() {
      for (const child of running) kill(child, "SIGTERM");
    },
  });
  signal.addEventListener("abort", () => {
    stopping = true;
    console.error(`\n${name}: interrupted: stopping ${running.size} child process(es)`);
    for (const child of running) {
      const terminated = withTimeout(child.status, 1000, () => kill(child, "SIGTERM"));
      withTimeout(terminated, 11000, () => kill(child, "SIGKILL"));
    }
  });
  return signal;
}

/** Resolves once every process started here has exited. */
export async function childrenExited(): Promise<void> {
  while (running.size > 0) await Promise.allSettled([...running].map((c) => c.status));
}

function kill(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch { /* already gone */ }
}

/** How a process ended. */
export interface Ended {
  /** Exit code (128 + n when killed by signal n). */
  code: number;
  /** What it printed on stdout. */
  stdout: string;
  /** What it printed on stderr. */
  stderr: string;
}

/** A server that exited before its ready line, with its exit code. */
export class ExitedEarly extends Error {
  /** Its exit code (128 + n when killed by signal n). */
  readonly code: number;

  constructor(message: string, code: number) {
    super(message);
    this.name = "ExitedEarly";
    this.code = code;
  }
}

/**
 * Exit code 130 (SIGINT, 128 + 2): the process was stopped by a Ctrl-C or a
 * SIGINT (it exits 130 itself, or dies of the signal before it could listen).
 */
export const INTERRUPTED_CODE = 130;

/** A running server. */
export interface ServerProcess {
  /** Its ready line. */
  ready: ReadyEvent;
  /** The process. */
  child: Deno.ChildProcess;
  /** Sends `signal` (default SIGINT) and waits up to `timeoutMs` (default 10000) for the exit. */
  stop(signal?: Deno.Signal, timeoutMs?: number): Promise<Ended & { stopped?: StoppedEvent }>;
}

/**
 * Starts `deno task <task> <args>` (or another {@linkcode Launch}) and resolves once it printed its ready
 * line; rejects (and kills it) if it exits or stays silent past the timeout.
 */
export async function startServer(
  launch: Launch,
  args: string[] = [],
  options: StartOptions = {},
): Promise<ServerProcess> {
  const task = launchName(launch);
  const child = spawn(launch, args, options);
  const stderr = collect(child.stderr);
  const out = lines(child.stdout);
  const stdoutLines: string[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`${task} printed no ready line within ${options.timeoutMs ?? 20000} ms`)),
      options.timeoutMs ?? 20000,
    );
  });
  const readyLine = (async () => {
    // next() by hand: leaving a for-await loop would close the generator,
    // and the rest of stdout (the stopped line) is still to be read.
    for (let next = await out.next(); !next.done; next = await out.next()) {
      stdoutLines.push(next.value);
      try {
        const event = JSON.parse(next.value);
        if (event.event === "ready") return event as ReadyEvent;
      } catch { /* not JSON: keep reading */ }
    }
    const code = exitCode(await child.status);
    throw new ExitedEarly(
      `${task} exited with code ${code} before it was ready: ${(await stderr).trim()}`,
      code,
    );
  })();
  let ready: ReadyEvent;
  try {
    ready = await Promise.race([readyLine, timeout]);
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const rest = (async () => {
    for await (const line of out) stdoutLines.push(line);
  })();
  return {
    ready,
    child,
    async stop(signal: Deno.Signal = "SIGINT", timeoutMs = 10000) {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      const status = await withTimeout(child.status, timeoutMs, () => child.kill("SIGKILL"));
      await rest;
      const stdout = stdoutLines.join("\n");
      const stopped = stdoutLines.map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          return undefined;
        }
      }).find((e) => e?.event === "stopped") as StoppedEvent | undefined;
      return { code: exitCode(status), stdout, stderr: await stderr, stopped };
    },
  };
}

function exitCode(status: Deno.CommandStatus): number {
  return status.signal ? 128 + signalNumber(status.signal) : status.code;
}

function signalNumber(signal: Deno.Signal): number {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fire = new Promise<void>((resolve) => timer = setTimeout(resolve, ms));
  const first = await Promise.race([
    promise.then(() => "done" as const),
    fire.then(() => "late" as const),
  ]);
  clearTimeout(timer);
  if (first === "late") {
    try {
      onTimeout();
    } catch { /* already gone */ }
  }
  return await promise;
}

/** A finished client run. */
export interface ClientRun extends Ended {
  /** Its result record (last JSON line on stdout), if it printed one. */
  record?: ResultRecord;
  /** True when it was killed for running past the timeout. */
  timedOut: boolean;
}

/**
 * Runs `deno task <task> <args> --json` to the end (killing it past the
 * timeout) and parses its result record.
 */
export async function runClient(
  launch: Launch,
  args: string[] = [],
  options: StartOptions = {},
): Promise<ClientRun> {
  const child = spawn(launch, [...args, "--json"], options);
  const signal = (name: Deno.Signal) => {
    try {
      child.kill(name);
    } catch { /* already gone */ }
  };
  const { onStderrLine, signalOnLine, signalAfter } = options;
  let signalled = false;
  const onLine = (line: string) => {
    onStderrLine?.(line);
    if (signalOnLine && !signalled && signalOnLine.line.test(line)) {
      signalled = true;
      signal(signalOnLine.signal);
    }
  };
  const stdout = collect(child.stdout);
  const stderr = onStderrLine || signalOnLine
    ? collectLines(child.stderr, onLine)
    : collect(child.stderr);
  let timedOut = false;
  const signalTimer = signalAfter && setTimeout(() => signal(signalAfter.signal), signalAfter.ms);
  const status = await withTimeout(child.status, options.timeoutMs ?? 20000, () => {
    timedOut = true;
    child.kill("SIGKILL");
  });
  clearTimeout(signalTimer);
  const out = await stdout;
  let record: ResultRecord | undefined;
  const last = out.trim().split("\n").pop() ?? "";
  try {
    const parsed = JSON.parse(last);
    if (parsed && typeof parsed === "object" && "fps" in parsed) record = parsed;
  } catch { /* no record */ }
  return { code: exitCode(status), stdout: out, stderr: await stderr, record, timedOut };
}

/** Tells whether anything (a file, a socket) is at `path`; for tests that check what is left behind. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago, for tests that need their own. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * The names in folder `dir`, listed by `ls`: Deno asks for --allow-all to
 * read /dev/shm or /proc directly, `ls` needs only --allow-run. Empty when
 * the folder does not exist.
 */
export function listNames(dir: string): string[] {
  const out = new Deno.Command("ls", { args: ["-1", dir], stderr: "null" }).outputSync();
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
}

/**
 * The names in /dev/shm and /tmp that hold `tag` (a runner's or a test's
 * name for what its servers make there), as paths: to check that nothing is
 * left behind.
 */
export function leftovers(tag: string): string[] {
  return ["/dev/shm", "/tmp"].flatMap((dir) =>
    listNames(dir).filter((name) => name.includes(tag)).map((name) => `${dir}/${name}`)
  );
}

/** Resident memory of process `pid` in MB, from `ps`; undefined when it is gone. */
export async function residentMB(pid: number): Promise<number | undefined> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "rss=", "-p", String(pid)],
    stderr: "null",
  })
    .output();
  const kb = Number(new TextDecoder().decode(out.stdout).trim());
  return out.success && kb > 0 ? kb / 1024 : undefined;
}
