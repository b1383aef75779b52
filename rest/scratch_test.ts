import assert from "node:assert/strict";
import { Scratch, ScratchPool } from "./scratch.ts";

function byteStream(chunks: number[][]): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (next === chunks.length) {
        // Closing with a BYOB read pending: the spec wants it answered with 0 bytes.
        controller.close();
        controller.byobRequest?.respond(0);
        return;
      }
      controller.enqueue(new Uint8Array(chunks[next++]));
    },
  });
}

function plainStream(chunks: number[][]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks.map((c) => new Uint8Array(c)));
}

Deno.test("Scratch: take() reuses its memory", () => {
  const scratch = new Scratch();
  const a = scratch.take(100);
  const b = scratch.take(50);
  assert.equal(a.buffer, b.buffer);
  assert.equal(b.byteLength, 50);
  assert.notEqual(scratch.take(200).buffer, a.buffer);
});

Deno.test("Scratch: readFrom() reads byte and plain streams into the same memory", async () => {
  for (const make of [byteStream, plainStream]) {
    const scratch = new Scratch();
    const first = await scratch.readFrom(make([[1, 2], [3], [4, 5, 6]]), 6);
    assert.deepEqual([...first], [1, 2, 3, 4, 5, 6]);
    const second = await scratch.readFrom(make([[9, 8, 7]]), 3);
    assert.deepEqual([...second], [9, 8, 7]);
    assert.equal(second.buffer, scratch.take(3).buffer, "the memory is the scratch's");
    await assert.rejects(scratch.readFrom(make([[1, 2]]), 3), /ended after 2 of 3 bytes/);
    await assert.rejects(scratch.readFrom(make([[1, 2], [3, 4]]), 3), /longer than 3 bytes/);
  }
});

Deno.test("ScratchPool: concurrent users get their own buffers", async () => {
  const pool = new ScratchPool();
  const seen: ArrayBufferLike[] = [];
  await Promise.all([0, 1].map(() =>
    pool.with(async (s) => {
      seen.push(s.take(10).buffer);
      await new Promise((r) => setTimeout(r, 5));
    })
  ));
  assert.notEqual(seen[0], seen[1]);
});
