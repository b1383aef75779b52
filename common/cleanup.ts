/**
 * Last-resort release of what a process leaves in the file system (shared-
 * memory names, unix socket files): whatever it registers here is removed
 * when it exits (including `Deno.exit`, as on a second Ctrl-C), and when it
 * dies of an uncaught error or unhandled rejection, so that nothing outlives
 * its owner. (SIGINT and SIGTERM end the scripts through their abort signal
 * and normal clean-up; only SIGKILL leaves a name behind, which the next start
 * detects as stale.)
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

/**
 * Registers `release` to run when the process ends; returns a function that
 * runs it now and unregisters. Either way it runs once.
 */
export function releaseOnExit(release: () => void): () => void {
  let released = false;
  const once = () => {
    if (released) return;
    released = true;
    release();
  };
  const forget = atExit(once);
  return () => {
    forget();
    once();
  };
}

/**
 * Registers the removal of the file at `path` (a unix socket) for when the
 * process ends; returns a function that removes it now and unregisters.
 */
export function removeOnExit(path: string): () => void {
  return releaseOnExit(() => {
    try {
      Deno.removeSync(path);
    } catch { /* gone already */ }
  });
}
