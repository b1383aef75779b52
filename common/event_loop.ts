/**
 * Turns of the event loop on demand, for loops whose awaits all resolve at
 * once (frames always ready in shared memory, the in-process baseline): such
 * a loop stays in microtasks, where signals (Ctrl-C), timers, finished
 * off-thread calls and the window's events are never handled.
 *
 * @module
 */

/** Longest stretch, in ms, that a busy loop runs without letting the event loop in. */
export const YIELD_EVERY_MS = 2;

/**
 * Lets the event loop run if {@linkcode YIELD_EVERY_MS} passed since the last
 * time; resolves at once otherwise. A message through a fresh MessageChannel
 * is a macrotask that costs about 10 us here; `setTimeout(0)` would cost 1-4
 * ms. (A fresh channel each time, so that none is left open to keep the
 * process alive.)
 */
export class EventLoopTurns {
  #last = performance.now();

  /** Gives the event loop a turn when one is due. */
  async maybeYield(): Promise<void> {
    if (performance.now() - this.#last < YIELD_EVERY_MS) return;
    const { port1, port2 } = new MessageChannel();
    await new Promise<void>((resolve) => {
      port1.onmessage = () => resolve();
      port2.postMessage(null);
    });
    port1.close();
    port2.close();
    this.#last = performance.now();
  }
}
