import assert from "node:assert/strict";
import { parseSize } from "./frame.ts";
import type { FrameProperties } from "./properties.ts";
import { FrameSource } from "./source.ts";
import {
  type FramePublisher,
  type FrameSubscription,
  runPublisher,
  runSubscriber,
  type StreamMessage,
} from "./stream.ts";

const geometry = parseSize("64x48");
const quiet = () => {};

/**
 * An in-process stream: the publisher copies each frame into every
 * subscription's queue; `alter` may change or drop a message on its way.
 */
function channel(alter?: (message: StreamMessage & { kind: "frame" }) => boolean) {
  const queues: StreamMessage[][] = [];
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  const publisher: FramePublisher = {
    endpoint: "memory://",
    get subscribers() {
      return queues.length;
    },
    publish(frame: Uint8Array, properties: FrameProperties) {
      for (const queue of queues) {
        const message = {
          kind: "frame" as const,
          frame: frame.slice(),
          properties: { ...properties },
        };
        if (!alter || alter(message)) queue.push(message);
      }
      wake();
    },
    end(published: number) {
      for (const queue of queues) queue.push({ kind: "end", published });
      wake();
    },
    close() {},
  };
  const subscribe = (release?: () => boolean): FrameSubscription => {
    const queue: StreamMessage[] = [];
    queues.push(queue);
    return {
      endpoint: "memory://",
      async next() {
        while (queue.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
        return queue.shift()!;
      },
      release,
      close() {},
    };
  };
  return { publisher, subscribe };
}

const run = { geometry, progress: quiet, warmup: 0 };

Deno.test("every frame published reaches every subscriber, verified, and the counts add up", async () => {
  const { publisher, subscribe } = channel();
  const subs = [subscribe(), subscribe()].map((s) => runSubscriber(s, run));
  const pub = await runPublisher(publisher, { ...run, fps: "max", frames: 40, subscribers: 2 });
  assert.equal(pub.status, "ok");
  assert.equal(pub.published, 40);
  assert.equal(pub.subscribers, 2);
  for (const sub of await Promise.all(subs)) {
    assert.equal(sub.status, "ok");
    assert.equal(sub.published, pub.published);
    assert.equal(sub.frames, pub.published);
    assert.equal(sub.verified, pub.published);
    assert.equal(sub.dropped + sub.errors, 0);
    assert(sub.latencyMs.max >= sub.latencyMs.p50 && sub.latencyMs.p50 >= 0);
  }
});

Deno.test("a subscriber counts the frames it never got, the last ones too", async () => {
  // Every third frame is lost on the way, and the last two.
  let last = -1;
  const { publisher, subscribe } = channel((m) => {
    last = m.properties.index;
    return m.properties.index % 3 !== 1;
  });
  const sub = runSubscriber(subscribe(), run);
  const pub = await runPublisher(publisher, { ...run, fps: "max", frames: 40, subscribers: 1 });
  const record = await sub;
  assert.equal(last, pub.published - 1);
  assert.equal(record.frames + record.dropped, pub.published);
  assert.equal(record.dropped, Math.floor((pub.published + 1) / 3));
  assert.equal(record.errors, 0);
});

Deno.test("a wrong, stale or torn frame is an error, not a frame delivered", async () => {
  const source = new FrameSource(geometry);
  const { publisher, subscribe } = channel((m) => {
    const i = m.properties.index;
    if (i === 3) m.frame[100] ^= 1; // corrupt
    if (i === 5) m.frame.set(source.frame(2).subarray(0, 8)); // torn: starts as frame 2
    if (i === 7) m.properties.index = 6; // a frame again, out of order
    return true;
  });
  const sub = runSubscriber(subscribe(), run);
  await runPublisher(publisher, { ...run, fps: "max", frames: 40, subscribers: 1 });
  const record = await sub;
  assert.equal(record.errors, 3);
  assert.deepEqual(record.errorKinds, { corrupt: 1, torn: 1, stale: 1 });
  assert.match(record.firstError ?? "", /frame 3: bytes differ/);
});

Deno.test("a frame overwritten while it was read counts as dropped, not as an error", async () => {
  let reads = 0;
  const { publisher, subscribe } = channel((m) => {
    if (m.properties.index === 4) m.frame[100] ^= 1; // torn by the writer...
    return true;
  });
  // ... which the ring notices when the reader lets go of the frame.
  const sub = runSubscriber(subscribe(() => reads++ !== 4), run);
  const pub = await runPublisher(publisher, { ...run, fps: "max", frames: 40, subscribers: 1 });
  const record = await sub;
  assert.equal(record.errors, 0);
  assert.equal(record.dropped, 1);
  assert.equal(record.frames, pub.published - 1);
});

Deno.test("a publisher that stops sending is reported within the timeout", async () => {
  const { publisher, subscribe } = channel();
  const sub = runSubscriber(subscribe(), { ...run, timeout: 0.3 });
  publisher.publish(new FrameSource(geometry).frame(0), {
    ...geometry,
    index: 0,
    slot: 0xffff,
    sentAt: 0,
  });
  const started = performance.now();
  const record = await sub;
  assert.equal(record.status, "failed");
  assert.match(
    record.reason ?? "",
    /no frame from memory:\/\/ within 0.3 s: the publisher is gone/,
  );
  assert(performance.now() - started < 2000);
});

Deno.test("a publisher waits for its subscribers, and says so when they do not come", async () => {
  const { publisher, subscribe } = channel();
  subscribe();
  const record = await runPublisher(publisher, { ...run, subscribers: 2, timeout: 0.2 });
  assert.equal(record.status, "failed");
  assert.equal(record.reason, "1 of 2 subscribers joined within 0.2 s");
  assert.equal(record.published, 0);
});
