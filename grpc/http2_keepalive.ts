/**
 * Keep-alive of an HTTP/2 connection: a PING when the peer has been silent
 * for an interval, and the connection closed when a ping is not answered in
 * time.
 *
 * @module
 */

/** The keep-alive of one connection; see the module documentation. */
export class Keepalive {
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #ping: () => void;
  readonly #dead: (reason: string) => void;
  #lastReceived = performance.now();
  #pingSentAt = 0;
  #timer?: ReturnType<typeof setTimeout>;
  #stopped = false;

  /**
   * Pings (`ping`) after `intervalMs` of silence (0: never); calls `dead`
   * when a ping is unanswered for `timeoutMs`.
   */
  constructor(
    intervalMs: number,
    timeoutMs: number,
    ping: () => void,
    dead: (reason: string) => void,
  ) {
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
    this.#ping = ping;
    this.#dead = dead;
  }

  /** Starts watching (nothing when the interval is 0); the timer does not keep the process alive. */
  start(): void {
    if (!this.#intervalMs) return;
    const interval = this.#intervalMs;
    const timeout = this.#timeoutMs;
    const tick = () => {
      if (this.#stopped) return;
      const now = performance.now();
      if (this.#pingSentAt > 0 && now - this.#pingSentAt >= timeout) {
        this.#dead(`no answer to a keep-alive ping within ${timeout} ms`);
        return;
      }
      if (this.#pingSentAt === 0 && now - this.#lastReceived >= interval) {
        this.#pingSentAt = now;
        this.#ping();
      }
      this.#timer = setTimeout(tick, Math.min(interval, timeout) / 2);
      Deno.unrefTimer(Number(this.#timer));
    };
    tick();
  }

  /** A frame came from the peer. */
  received(): void {
    this.#lastReceived = performance.now();
  }

  /** The peer answered the ping. */
  answered(): void {
    this.#pingSentAt = 0;
  }

  /** Stops watching (the connection closed). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
