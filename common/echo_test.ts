import assert from "node:assert/strict";
import { FrameRefused, type FrameTransport, runEcho } from "./echo.ts";
import { type ClientOptions, parseClientFlags } from "./flags.ts";
import { runtimeInfo } from "./record.ts";

const COMMAND = { name: "test:client", summary: "test", variants: ["default"] };
const options = (frames: number) =>
  parseClientFlags(["--size", "32x24", "--warmup", "0", "--frames", String(frames)], COMMAND)
    .options;
/** Runs the echo loop on `transport` with `options`, printing nothing. */
function quietRun(transport: FrameTransport, options: ClientOptions, signal?: AbortSignal) {
  return runEcho(transport, {
    transport: "fake",
    options,
    runtime: runtimeInfo(),
    progress: () => {},
    signal,
  });
}

/**
 * A transport with one frame in flight, from a function that takes a frame
 * and gives the one that comes back.
 */
function oneAtATime(
  roundTrip: (frame: Uint8Array, index: number) => Promise<Uint8Array>,
): FrameTransport {
  let back: Promise<Uint8Array> = Promise.resolve(new Uint8Array());
  return {
    endpoint: "fake://",
    send(frame, index) {
      back = roundTrip(frame, index);
      back.catch(() => {}); // seen by receive()
      return Promise.resolve();
    },
    receive: async () => ({ frame: await back }),
    close() {},
  };
}

/** Echoes a copy of each frame, with faults injected at chosen frames. */
class FakeEcho implements FrameTransport {
  readonly endpoint = "fake://";
  closed = false;
  constructor(readonly faults: Record<number, "refuse" | "flip" | "stale" | "die"> = {}) {}
  #last = new Uint8Array();
  #back: Promise<Uint8Array> = Promise.resolve(new Uint8Array());
  send(frame: Uint8Array, index: number): Promise<void> {
    this.#back = this.#roundTrip(frame, index);
    this.#back.catch(() => {}); // seen by receive()
    return Promise.resolve();
  }
  async receive() {
    return { frame: await this.#back };
  }
  #roundTrip(frame: Uint8Array, index: number): Promise<Uint8Array> {
    const fault = this.faults[index];
    if (fault === "refuse") return Promise.reject(new FrameRefused("no thanks"));
    if (fault === "die") return Promise.reject(new Error("peer vanished"));
    const copy = fault === "stale" ? this.#last : frame.slice();
    if (fault === "flip") copy[100] ^= 0xff;
    this.#last = frame.slice();
    return Promise.resolve(copy);
  }
  close() {
    this.closed = true;
  }
}

Deno.test("runEcho() verifies every frame and fills the record", async () => {
  const transport = new FakeEcho();
  const r = await quietRun(transport, options(50));
  assert.equal(r.status, "ok");
  assert.equal(r.frames, 50);
  assert.equal(r.verified, 50);
  assert.equal(r.errors, 0);
  assert.equal(r.frameBytes, 32 * 24 * 3);
  assert.ok(transport.closed);
});

Deno.test("runEcho() counts corrupt, stale and refused frames and goes on", async () => {
  const transport = new FakeEcho({ 3: "flip", 5: "stale", 7: "refuse" });
  const r = await quietRun(transport, options(20));
  assert.equal(r.status, "ok");
  assert.equal(r.errors, 3);
  assert.deepEqual(r.errorKinds, { corrupt: 1, stale: 1, refused: 1 });
  assert.match(r.firstError!, /frame 3: bytes differ from offset 100/);
});

Deno.test("runEcho() with --strict stops at the first bad frame", async () => {
  const strict = { ...options(20), strict: true };
  const r = await quietRun(new FakeEcho({ 4: "flip" }), strict);
  assert.equal(r.status, "failed");
  assert.match(r.reason!, /--strict: frame 4/);
});

Deno.test("runEcho() reports a broken transport as failed, with what it measured", async () => {
  const transport = new FakeEcho({ 12: "die" });
  const r = await quietRun(transport, options(100));
  assert.equal(r.status, "failed");
  assert.equal(r.reason, "peer vanished");
  assert.equal(r.verified, 12);
  assert.ok(transport.closed);
});

Deno.test("runEcho() stops as interrupted when its signal aborts", async () => {
  const controller = new AbortController();
  const transport = oneAtATime((frame, index) => {
    if (index === 5) controller.abort();
    return Promise.resolve(frame.slice());
  });
  const r = await quietRun(transport, options(1000), controller.signal);
  assert.equal(r.status, "interrupted");
  assert.equal(r.verified, 6);
});

/** Keeps frames in a queue: several in flight, returned in order. */
class FakePipeline implements FrameTransport {
  readonly endpoint = "fake://";
  readonly queue: { index: number; frame: Uint8Array }[] = [];
  maxOutstanding = 0;
  constructor(readonly inFlight: number, readonly lie = -1) {}
  send(frame: Uint8Array, index: number): Promise<void> {
    this.queue.push({ index: index === this.lie ? index + 1 : index, frame: frame.slice() });
    this.maxOutstanding = Math.max(this.maxOutstanding, this.queue.length);
    return Promise.resolve();
  }
  receive() {
    return Promise.resolve(this.queue.shift()!);
  }
  close() {}
}

Deno.test("runEcho() keeps inFlight frames outstanding and drains them at the end", async () => {
  const transport = new FakePipeline(4);
  const r = await quietRun(transport, options(40));
  assert.equal(r.errors, 0);
  assert.equal(r.frames, 40);
  assert.equal(transport.maxOutstanding, 4);
  assert.equal(transport.queue.length, 0, "nothing left in flight");
  assert.ok(r.verified >= 40);
});

Deno.test("runEcho() counts a frame the transport mislabels", async () => {
  const r = await quietRun(new FakePipeline(2, 7), options(20));
  assert.deepEqual(r.errorKinds, { "wrong-index": 1 });
});

Deno.test("runEcho() refuses an inFlight the frame pool cannot hold", async () => {
  const r = await quietRun(new FakePipeline(8), options(5));
  assert.equal(r.status, "failed");
  assert.match(r.reason!, /in flight must be 1 to 7/);
});

Deno.test("runEcho() ends a run whose every frame is refused when its time is up", async () => {
  const transport = oneAtATime(() => Promise.reject(new FrameRefused("never")));
  for (const warmup of [0, 0.1]) {
    const opts = { ...options(1000), seconds: 0.2, warmup };
    const r = await quietRun(transport, opts);
    assert.equal(r.status, "ok");
    assert.equal(r.frames, 0);
    assert.ok(r.errors > 0 && r.errorKinds.refused === r.errors);
  }
});

Deno.test("runEcho() lets timers and signals through when the transport never waits", async () => {
  // Resolves at once, like the baseline or shared memory: without turns of the
  // event loop the timer below would never fire and the run would not stop.
  const transport = oneAtATime((frame) => Promise.resolve(frame));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 100);
  const started = performance.now();
  const r = await quietRun(transport, { ...options(1e9), seconds: 30 }, controller.signal);
  clearTimeout(timer);
  assert.equal(r.status, "interrupted");
  assert.ok(performance.now() - started < 5000);
});
