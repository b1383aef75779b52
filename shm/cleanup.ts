/**
 * Last-resort release of shared-memory names: whatever a process registers
 * here is removed when it exits (including `Deno.exit`), and when it dies of
 * an uncaught error or unhandled rejection, so that no `/dev/shm` entry
 * outlives its owner. (SIGINT and SIGTERM end the scripts through their abort
 * signal and normal clean-up; only SIGKILL leaves a name behind, which the
 * next start detects as stale.)
 *
 * @module
 */

const actions = new Map<number, () => void>();
let nextId = 0;
let installed = false;

function runAll(): void {
  for (const [id, action] of [...actions]) {
    actions.delete(id);
    try {
      action();
    } catch { /* the process is ending: nothing better to do */ }
  }
}

/**
 * Registers `action` to run once when the process ends, normally or not.
 * Returns a function that unregisters it (call it after a normal clean-up).
 */
export function atExit(action: () => void): () => void {
  if (!installed) {
    installed = true;
    globalThis.addEventListener("unload", runAll);
    globalThis.addEventListener("error", runAll);
    globalThis.addEventListener("unhandledrejection", runAll);
  }
  const id = nextId++;
  actions.set(id, action);
  return () => actions.delete(id);
}
