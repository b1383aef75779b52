/**
 * The server contract: one JSON `ready` line on stdout once the server
 * accepts, and one JSON `stopped` line with what it served when it stops.
 *
 * @module
 */

import process from "node:process";

/** The line a server prints once it accepts clients. */
export interface ReadyEvent {
  event: "ready";
  /** Transport name, e.g. `zmq`. */
  transport: string;
  /** Where clients connect, as a URL. */
  endpoint: string;
  /** Process id, so that a runner can signal it. */
  pid: number;
}

/** The line a server prints when it stops. */
export interface StoppedEvent {
  event: "stopped";
  /** Transport name. */
  transport: string;
  /** Frames echoed. */
  frames: number;
  /** Messages refused as malformed or oversized. */
  refused: number;
  /** CPU ms (user + system) the server used since it became ready. */
  cpuMs: number;
}

/** Counts what a server does between its ready and stopped lines. */
export class ServerStats {
  /** Frames echoed. */
  frames = 0;
  /** Messages refused. */
  refused = 0;
  readonly #transport: string;
  readonly #task: string;
  #cpuStart = 0;
  #lastLog = -Infinity;

  /** `task` names the process in its log lines, e.g. `grpc:pub`. Default: `TRANSPORT:server`. */
  constructor(transport: string, task = `${transport}:server`) {
    this.#transport = transport;
    this.#task = task;
  }

  /** Prints the ready line and starts counting CPU time. */
  ready(endpoint: string): void {
    const event: ReadyEvent = {
      event: "ready",
      transport: this.#transport,
      endpoint,
      pid: Deno.pid,
    };
    const { user, system } = process.cpuUsage();
    this.#cpuStart = user + system;
    console.log(JSON.stringify(event));
  }

  /**
   * Counts a refused message and logs its one-line reason on stderr: each of
   * the first 5, then at most one line a second, so that a client sending
   * garbage in a loop cannot flood the log.
   */
  refuse(reason: string): void {
    this.refused++;
    const now = performance.now();
    if (this.refused > 5 && now - this.#lastLog < 1000) return;
    this.#lastLog = now;
    const total = this.refused > 5 ? ` (${this.refused} refused so far)` : "";
    console.error(`${this.#task}: refused a message: ${reason}${total}`);
  }

  /** Prints the stopped line. */
  stopped(): void {
    const { user, system } = process.cpuUsage();
    const event: StoppedEvent = {
      event: "stopped",
      transport: this.#transport,
      frames: this.frames,
      refused: this.refused,
      cpuMs: (user + system - this.#cpuStart) / 1000,
    };
    console.log(JSON.stringify(event));
  }
}
