import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { parseSize } from "../common/frame.ts";
import { FrameSource, writeStamp } from "../common/source.ts";
import { Verdict } from "./layout.ts";
import { readFrame } from "./read_frame.ts";

/** A frame of random bytes stamped with `index`, as a camera's would be. */
function randomFrame(bytes: number, index: number): Uint8Array {
  const frame = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += 65536) {
    crypto.getRandomValues(frame.subarray(at, Math.min(bytes, at + 65536)));
  }
  writeStamp(frame, index);
  return frame;
}

Deno.test("readFrame: any pixels with the right stamps are ok, with the frame's CRC-32", () => {
  const frame = randomFrame(parseSize("1080p").frameBytes, 2 ** 33 + 7);
  assert.deepEqual(readFrame(frame, 2 ** 33 + 7), { verdict: Verdict.ok, checksum: crc32(frame) });
  frame[frame.byteLength >> 1] ^= 0x80;
  assert.equal(readFrame(frame, 2 ** 33 + 7).checksum, crc32(frame), "the CRC follows the bytes");
});

Deno.test("readFrame: torn, stale and wrong-index stamps are refused, the CRC still given", () => {
  const frame = randomFrame(640 * 480 * 3, 10);
  const cases: [number, number, RegExp][] = [
    [10, Verdict.ok, /^$/],
    [11, Verdict.stale, /^frame 11: stamped as frame 10 \(stale\)$/],
    [9, Verdict.wrongIndex, /^frame 9: stamped as frame 10 \(wrong index\)$/],
  ];
  for (const [index, verdict, problem] of cases) {
    const read = readFrame(frame, index);
    assert.equal(read.verdict, verdict, `as frame ${index}`);
    assert.match(read.problem ?? "", problem);
    assert.equal(read.checksum, crc32(frame));
  }
  new DataView(frame.buffer).setUint32(frame.byteLength - 8, 11, true);
  const torn = readFrame(frame, 10);
  assert.equal(torn.verdict, Verdict.torn);
  assert.match(torn.problem!, /starts as frame 10 and ends as frame 11/);
});

Deno.test("readFrame: given the test pattern, other pixels are corrupt and the pattern is ok", () => {
  const source = new FrameSource(parseSize("64x48"));
  const pattern = source.frame(3);
  assert.deepEqual(readFrame(pattern, 3, source), {
    verdict: Verdict.ok,
    checksum: crc32(pattern),
  });
  const random = randomFrame(pattern.byteLength, 3);
  const read = readFrame(random, 3, source);
  assert.equal(read.verdict, Verdict.corrupt);
  assert.match(read.problem!, /^frame 3: bytes differ from offset \d+/);
  assert.equal(readFrame(random, 3).verdict, Verdict.ok, "without the pattern: served");
});
