import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { noise } from "../testing/noise.ts";
import { crc32Combine, crc32CombineGen, crc32CombineOp } from "./crc32_combine.ts";

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

Deno.test("crc32: node:zlib's crc32 is zlib's CRC-32 (check value of '123456789')", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array()), 0);
});

Deno.test("crc32Combine: equals node:zlib's crc32 of the concatenation", () => {
  const lengths = [0, 1, 2, 3, 7, 8, 9, 255, 256, 1000, 4096, 65537, 921600 - 16];
  let seed = 1;
  for (const a of lengths) {
    for (const b of lengths) {
      const first = noise(a, seed++);
      const second = noise(b, seed++);
      const whole = crc32(concat(first, second));
      const combined = crc32Combine(crc32(first), crc32(second), b);
      assert.equal(combined, whole, `${a} + ${b} bytes`);
      assert.equal(crc32CombineOp(crc32(first), crc32(second), crc32CombineGen(b)), whole);
    }
  }
});

Deno.test("crc32Combine: a frame's CRC from its stamps' and its body's, as the shm client makes it", () => {
  const frameBytes = 1920 * 1080 * 3;
  const frame = noise(frameBytes, 42);
  const body = frame.subarray(8, frameBytes - 8);
  const bodyOp = crc32CombineGen(body.byteLength);
  const stampOp = crc32CombineGen(8);
  for (const index of [0, 1, 255, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
    const stamp = new Uint8Array(8);
    new DataView(stamp.buffer).setBigUint64(0, BigInt(index), true);
    frame.set(stamp, 0);
    frame.set(stamp, frameBytes - 8);
    const s = crc32(stamp);
    const expected = crc32CombineOp(crc32CombineOp(s, crc32(body), bodyOp), s, stampOp);
    assert.equal(expected, crc32(frame), `frame ${index}`);
    assert.equal(crc32Combine(crc32Combine(s, crc32(body), body.byteLength), s, 8), expected);
  }
});

Deno.test("crc32Combine: lengths past 2^32 and bad lengths", () => {
  // Appending 2^32 zero bytes, composed from two halves, both ways.
  const half = crc32Combine(0x12345678, 0, 2 ** 31);
  assert.equal(crc32Combine(half, 0, 2 ** 31), crc32Combine(0x12345678, 0, 2 ** 32));
  assert.equal(crc32Combine(0xdeadbeef, 0x1234, 0), (0xdeadbeef ^ 0x1234) >>> 0);
  assert.throws(() => crc32Combine(0, 0, -1), RangeError);
  assert.throws(() => crc32CombineGen(1.5), RangeError);
});
