import assert from "node:assert/strict";
import { removeAbandonedRings } from "./abandoned_rings.ts";
import { sharedMemoryPlatform } from "./platform.ts";

const platform = await sharedMemoryPlatform();

/** The pid of a process that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

Deno.test({
  name: "abandoned rings: only an unlocked ring of a dead pid is removed",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const name = `fbabandoned-${Deno.pid}`;
    const [dead, deadLocked] = [await deadPid(), await deadPid()];
    const made = [
      `${name}.${dead}`, // removed
      `${name}.${deadLocked}`, // locked by a live holder (here: this process): kept
      `${name}.${Deno.pid}`, // a live client still setting up: kept
      `${name}.x1`, // not a ring name: kept
      `${name}`, // the doorway: kept
    ];
    const segments = made.map((n) => platform.create(n, 4096)!);
    try {
      assert.ok(segments[1].tryLock());
      assert.deepEqual(removeAbandonedRings(platform, name), [`${name}.${dead}`]);
      assert.deepEqual(platform.list(name).sort(), made.slice(1).sort());
      assert.deepEqual(removeAbandonedRings(platform, name), []);
    } finally {
      for (const [i, segment] of segments.entries()) {
        segment.close();
        platform.unlink(made[i]);
      }
    }
  },
});
