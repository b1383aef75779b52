// The ring protocol within one process: two mappings of one real segment,
// one used as the client (writer), the other as the server (reader).
import assert from "node:assert/strict";
import { parseSize } from "../common/frame.ts";
import { FrameSource } from "../common/source.ts";
import { checkFrame } from "../common/verify.ts";
import {
  controlOffset,
  ringBytes,
  ringLayout,
  SLOT,
  SlotState,
  Verdict,
  writeRingHeader,
} from "./layout.ts";
import { sharedMemoryPlatform } from "./platform.ts";
import { counterDiff, Ring } from "./ring.ts";

const platform = await sharedMemoryPlatform();
let count = 0;

/** A ring of `slots` 64x48 slots, mapped twice; removed when `body` ends. */
async function withRing(
  slots: number,
  body: (writer: Ring, reader: Ring, source: FrameSource) => Promise<void> | void,
): Promise<void> {
  const name = `framebench-test-${Deno.pid}-${count++}`;
  const layout = ringLayout(parseSize("64x48"), slots);
  const a = platform.create(name, ringBytes(layout))!;
  const b = platform.open(name)!;
  platform.unlink(name);
  try {
    writeRingHeader(new Uint8Array(a.buffer, 0, 4096), layout, Deno.pid);
    await body(new Ring(a, layout), new Ring(b, layout), new FrameSource(layout.geometry));
  } finally {
    a.close();
    b.close();
  }
}

Deno.test("ring: a frame posted by the writer is read in place and acknowledged", async () => {
  await withRing(3, async (writer, reader, source) => {
    for (let p = 0; p < 7; p++) {
      writer.post(p, source.frame(p + 10), p + 10, 1);
      assert.ok(await reader.waitPosted(p, { timeoutMs: 1000 }));
      const opened = reader.open(p);
      assert.ok(opened.ok);
      assert.equal(opened.index, p + 10);
      assert.equal(checkFrame(source, opened.frame, p + 10), undefined);
      // The reader sees the writer's bytes without a copy: the same memory.
      assert.equal(opened.frame.byteOffset, writer.slot(p % 3).byteOffset);
      assert.ok(reader.intact(p));
      reader.ack(p, Verdict.ok, 0xfedcba98 - p);
      assert.ok(await writer.waitAcked(p, { timeoutMs: 1000 }));
      const ack = writer.acknowledged(p);
      assert.equal(ack.verdict, Verdict.ok);
      assert.equal(ack.checksum, 0xfedcba98 - p, "the server's checksum reaches the writer");
      assert.equal(ack.index, p + 10);
      assert.equal(checkFrame(source, ack.frame, p + 10), undefined);
    }
    assert.equal(writer.posted, 7);
    assert.equal(writer.acked, 7);
  });
});

Deno.test("ring: a frame rewritten while it is read is torn, whatever its bytes", async () => {
  await withRing(2, (writer, reader, source) => {
    writer.post(0, source.frame(0), 0, 0);
    writer.post(1, source.frame(1), 1, 0);
    const opened = reader.open(0);
    assert.ok(opened.ok);
    // The writer (misbehaving) reuses slot 0 for post 2 before post 0 was acknowledged.
    const control = new DataView(writer.segment.buffer, controlOffset(0), SLOT.bytes);
    control.setUint32(SLOT.state, SlotState.acked, true); // pretend the ack came
    writer.post(2, source.frame(2), 2, 0);
    assert.equal(reader.intact(0), false, "changed while read");
    // Even a byte-for-byte identical rewrite is caught: the sequence moved on.
    assert.equal(checkFrame(source, opened.frame, 2), undefined);
  });
});

Deno.test("ring: a slot being written, or holding another post, is refused as torn or stale", async () => {
  await withRing(2, (writer, reader, source) => {
    writer.post(0, source.frame(0), 0, 0);
    // Reading post 2 (slot 0) while the slot still holds post 0: stale.
    const stale = reader.open(2);
    assert.ok(!stale.ok);
    assert.equal(stale.verdict, Verdict.stale);
    assert.match(stale.reason, /holds post 0, expected 2/);
    // A writer that died mid-frame leaves "writing": torn.
    const control = new DataView(writer.segment.buffer, controlOffset(1), SLOT.bytes);
    control.setUint32(SLOT.state, SlotState.writing, true);
    const torn = reader.open(1);
    assert.ok(!torn.ok);
    assert.equal(torn.verdict, Verdict.torn);
    // A refusal reaches the writer with its verdict; the next post clears the checksum.
    reader.ack(0, Verdict.corrupt, 1234);
    assert.equal(writer.acknowledged(0).verdict, Verdict.corrupt);
    assert.equal(writer.acknowledged(0).checksum, 1234);
    writer.post(2, source.frame(2), 2, 0);
    assert.equal(writer.acknowledged(2).checksum, 0);
    // An acknowledgement read for the wrong post is stale.
    assert.equal(writer.acknowledged(2).verdict, Verdict.stale);
  });
});

Deno.test("ring: waits wake on a post, time out, and stop when idle says so", async () => {
  await withRing(2, async (writer, reader, source) => {
    reader.spinMicros = 0;
    const started = performance.now();
    assert.equal(await reader.waitPosted(0, { timeoutMs: 150 }), false);
    assert.ok(performance.now() - started >= 140);
    const waiting = reader.waitPosted(0, { timeoutMs: 5000 });
    setTimeout(() => writer.post(0, source.frame(0), 0, 0), 50);
    assert.equal(await waiting, true);
    let idles = 0;
    assert.equal(await reader.waitPosted(1, { idle: () => ++idles < 2 }), false);
    assert.equal(idles, 2);
  });
});

Deno.test("ring: counters compare across the 2^32 wrap", () => {
  assert.equal(counterDiff(0, 0xffffffff), 1);
  assert.equal(counterDiff(0xffffffff, 0), -1);
  assert.equal(counterDiff(5, 3), 2);
});
