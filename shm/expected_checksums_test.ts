import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { parseSize } from "../common/frame.ts";
import { FrameSource } from "../common/source.ts";
import { ExpectedChecksums } from "./expected_checksums.ts";

Deno.test("expected checksums: the CRC-32 of each frame as sent, stamps included", () => {
  for (const size of ["64x48", "1080p"]) {
    const source = new FrameSource(parseSize(size));
    const expected = new ExpectedChecksums(source);
    for (const index of [0, 1, 7, 8, 9, 1000, 2 ** 32 + 3, 2 ** 40]) {
      assert.equal(expected.of(index), crc32(source.frame(index)), `${size} frame ${index}`);
    }
  }
});

Deno.test("expected checksums: another stamp or another pool frame gives another CRC", () => {
  const source = new FrameSource(parseSize("64x48"));
  const expected = new ExpectedChecksums(source);
  const frame = source.frame(3);
  assert.notEqual(expected.of(4), crc32(frame));
  assert.notEqual(expected.of(3 + source.poolSize), crc32(frame));
  frame[100] ^= 1;
  assert.notEqual(expected.of(3), crc32(frame));
});
