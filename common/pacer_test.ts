import assert from "node:assert/strict";
import { Pacer } from "./pacer.ts";

/** A clock that moves only when the pacer sleeps (plus what a test adds). */
function fakeClock() {
  const clock = {
    t: 1000,
    woke: [] as number[],
    now: () => clock.t,
    sleep: (ms: number) => {
      clock.t += Math.ceil(ms) + 0.4; // a timer that fires late, as real ones do
      clock.woke.push(clock.t);
      return Promise.resolve();
    },
  };
  return clock;
}

Deno.test("a pacer keeps frames on a steady clock: late timers do not add up", async () => {
  const clock = fakeClock();
  const pacer = new Pacer(50, clock);
  for (let k = 0; k < 100; k++) await pacer.next();
  // Frame k wakes within a ms of 1000 + 20 k, however many frames came before.
  for (const [i, t] of clock.woke.entries()) {
    const due = 1000 + 20 * (i + 1);
    assert(t >= due && t < due + 1.5, `frame ${i + 1} at ${t}, due ${due}`);
  }
  assert.equal(pacer.skipped, 0);
});

Deno.test("a pacer more than a period late skips the frames it missed", async () => {
  const clock = fakeClock();
  const pacer = new Pacer(10, clock);
  await pacer.next(); // frame 0 at 1000; frame 1 due at 1100
  clock.t += 350; // the publisher was busy until 1350: slots 1100, 1200, 1300 missed
  await pacer.next();
  assert.equal(pacer.skipped, 2);
  assert.equal(clock.t, 1350); // published at once, on the slot of 1300
  await pacer.next();
  assert(clock.t >= 1400 && clock.t < 1402, `next frame at ${clock.t}, due 1400`);
});

Deno.test("a pacer at max never waits", async () => {
  const clock = fakeClock();
  const pacer = new Pacer("max", clock);
  for (let k = 0; k < 10; k++) await pacer.next();
  assert.equal(clock.woke.length, 0);
});

Deno.test("a pacer refuses a rate that is not positive", () => {
  assert.throws(() => new Pacer(0), /fps must be > 0/);
});
