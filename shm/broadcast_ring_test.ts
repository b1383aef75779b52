// The broadcast ring's protocol in one process, on real segments: the
// seqlock catches a frame overwritten while it was read, a lapped reader
// skips to the newest frame, block waits for the slowest reader, and a dead
// subscriber's place is freed.
import assert from "node:assert/strict";
import type { Endpoint } from "../common/endpoint.ts";
import { frameGeometry } from "../common/frame.ts";
import type { FrameProperties } from "../common/properties.ts";
import { FrameSource } from "../common/source.ts";
import { checkFrame } from "../common/verify.ts";
import { readBroadcastHeader } from "./broadcast_layout.ts";
import { BroadcastRing } from "./broadcast_ring.ts";
import { sharedMemoryPlatform } from "./platform.ts";
import { openShmPublisher, type ShmPublisher } from "./publisher.ts";
import { type ShmSubscription, subscribeShm } from "./subscriber.ts";

const geometry = frameGeometry(64, 48, "rgb24");
let count = 0;

function endpoint(): Endpoint & { kind: "shm" } {
  const name = `fbring-${Deno.pid}-${count++}`;
  return { kind: "shm", url: `shm://${name}`, name };
}

function publishing(publisher: ShmPublisher, source: FrameSource) {
  let index = 0;
  return async () => {
    const properties: FrameProperties = { ...geometry, index, slot: 0, sentAt: 0 };
    await publisher.publish(source.frame(index), properties);
    return index++;
  };
}

/** Takes `sub`'s next message, asserts it is frame `index`, its pixels exact, and releases it. */
async function assertNextFrame(sub: ShmSubscription, source: FrameSource, index: number) {
  const message = await sub.next();
  assert(message.kind === "frame" && message.properties.index === index, `not frame ${index}`);
  assert.equal(checkFrame(source, message.frame, index), undefined);
  assert.equal(sub.release(), true);
}

async function withRing(
  options: { overflow: "drop" | "block"; slots: number; loan?: boolean },
  test: (
    publisher: ShmPublisher,
    at: Endpoint & { kind: "shm" },
    source: FrameSource,
    notes: string[],
  ) => Promise<void>,
) {
  const at = endpoint();
  const source = new FrameSource(geometry);
  const notes: string[] = [];
  const publisher = await openShmPublisher({
    endpoint: at,
    geometry,
    ...options,
    poolSize: source.poolSize,
    log: (line) => notes.push(line),
  });
  try {
    await test(publisher, at, source, notes);
  } finally {
    publisher.close();
  }
  const platform = await sharedMemoryPlatform();
  assert.equal(platform.open(at.name), undefined, "the publisher removed its segment");
}

Deno.test("broadcast ring: a frame overwritten while it is read is dropped, not wrong", async () => {
  await withRing({ overflow: "drop", slots: 2 }, async (publisher, at, source) => {
    const sub = await subscribeShm(at, geometry);
    const publish = publishing(publisher, source);
    await publish();
    const first = await sub.next();
    assert(first.kind === "frame");
    assert.equal(first.properties.index, 0);
    assert.equal(checkFrame(source, first.frame, 0), undefined);
    await publish();
    await publish(); // post 2 rewrites slot 0, which the subscriber still reads
    assert.equal(sub.release(), false, "the seqlock saw the overwrite");
    await publish();
    // Lapped (frames 1 to 3 published since, in 2 slots): the next frame is the newest.
    await assertNextFrame(sub, source, 3);
    publisher.end(4);
    assert.deepEqual(await sub.next(), { kind: "end", published: 4 });
    sub.close();
    assert.equal(publisher.subscribers, 0, "the subscriber's place is free again");
  });
});

Deno.test("broadcast ring: under block the publisher waits for the slowest subscriber", async () => {
  await withRing({ overflow: "block", slots: 2 }, async (publisher, at, source) => {
    const sub = await subscribeShm(at, geometry);
    assert.equal(publisher.subscribers, 1);
    const publish = publishing(publisher, source);
    await publish();
    await publish();
    const taken = await sub.next();
    assert(taken.kind === "frame" && taken.properties.index === 0);
    let done = false;
    const third = publish().then(() => done = true);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(done, false, "slot 0 is still being read");
    assert.equal(sub.release(), true);
    await third;
    for (const index of [1, 2]) await assertNextFrame(sub, source, index);
    sub.close();
  });
});

Deno.test("broadcast ring: --loan stamps the slot in place, frames stay exact", async () => {
  await withRing({ overflow: "block", slots: 8, loan: true }, async (publisher, at, source) => {
    const sub = await subscribeShm(at, geometry);
    const publish = publishing(publisher, source);
    for (let index = 0; index < 40; index++) {
      await publish();
      await assertNextFrame(sub, source, index);
    }
    sub.close();
  });
});

Deno.test("broadcast ring: a subscriber joining starts at the next frame", async () => {
  await withRing({ overflow: "drop", slots: 4 }, async (publisher, at, source) => {
    const publish = publishing(publisher, source);
    await publish();
    await publish();
    const sub = await subscribeShm(at, geometry);
    await publish();
    const message = await sub.next();
    assert(message.kind === "frame" && message.properties.index === 2);
    sub.close();
  });
});

Deno.test("broadcast ring: the place of a subscriber that died is freed", async () => {
  await withRing({ overflow: "block", slots: 2 }, async (publisher, at, source, notes) => {
    const dead = new Deno.Command("true").spawn();
    await dead.status; // reaped: kill(pid, 0) now fails
    const platform = await sharedMemoryPlatform();
    const segment = platform.open(at.name)!;
    try {
      const layout = readBroadcastHeader(new Uint8Array(segment.buffer, 0, segment.bytes), "ring");
      assert.notEqual(new BroadcastRing(segment, layout).claim(dead.pid, 0), undefined);
    } finally {
      segment.close();
    }
    // Under block a dead subscriber would hold the publisher: it is noticed instead.
    const publish = publishing(publisher, source);
    for (let i = 0; i < 4; i++) await publish();
    assert.equal(publisher.subscribers, 0);
    assert.deepEqual(notes, [`subscriber pid ${dead.pid} is gone: its place is freed`]);
  });
});

Deno.test("broadcast ring: a subscriber of another size is refused in one line", async () => {
  await withRing({ overflow: "drop", slots: 2 }, async (_publisher, at) => {
    await assert.rejects(
      subscribeShm(at, frameGeometry(32, 24, "rgb24")),
      /carries 64x48 frames, not 32x24: match --size/,
    );
  });
});
