import assert from "node:assert/strict";
import { SocketWriter, type Writer } from "./socket_writer.ts";

/** A writer that records each write, taking at most `chunk` bytes at a time, failing after `failAfter` writes. */
function recorder(chunk = Infinity, failAfter = Infinity) {
  const writes: Uint8Array[] = [];
  const w: Writer = {
    write(p: Uint8Array) {
      if (writes.length >= failAfter) return Promise.reject(new Error("Broken pipe"));
      const n = Math.min(chunk, p.length);
      writes.push(p.slice(0, n));
      return Promise.resolve(n);
    },
  };
  return { w, writes };
}

Deno.test("socket writer: small parts coalesce into one write, a large part goes as it is, in order", async () => {
  const { w, writes } = recorder();
  const writer = new SocketWriter(w);
  const big = new Uint8Array(100_000).fill(7);
  await Promise.all([
    writer.write([Uint8Array.of(1, 2), Uint8Array.of(3)]),
    writer.write([Uint8Array.of(4), big, Uint8Array.of(5)]),
  ]);
  const all = writes.flatMap((b) => [...b]);
  assert.deepEqual(all, [1, 2, 3, 4, ...big, 5]);
  assert.ok(writes.length <= 4, `${writes.length} writes`);
  assert.ok(writes.some((b) => b.length === big.length), "the large part in one write of its own");
});

Deno.test("socket writer: partial writes are finished", async () => {
  const { w, writes } = recorder(1000);
  await new SocketWriter(w).write([new Uint8Array(50_000).fill(1)]);
  assert.equal(writes.reduce((n, b) => n + b.length, 0), 50_000);
});

Deno.test("socket writer: a failed write rejects its batch, what is queued, and what comes later", async () => {
  const { w } = recorder(Infinity, 0);
  const writer = new SocketWriter(w);
  const first = writer.write([new Uint8Array(100_000)]);
  const second = writer.write([Uint8Array.of(1)]);
  await assert.rejects(first, /Broken pipe/);
  await assert.rejects(second, /Broken pipe/);
  await assert.rejects(writer.write([Uint8Array.of(2)]), /Broken pipe/);
  assert.match(writer.failure!.message, /Broken pipe/);
});
