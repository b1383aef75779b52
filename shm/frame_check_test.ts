import assert from "node:assert/strict";
import { parseSize } from "../common/frame.ts";
import { FrameSource, writeStamp } from "../common/source.ts";
import { checkFrame } from "../common/verify.ts";
import { FrameCheck } from "./frame_check.ts";

Deno.test("frame check: the same verdict as checkFrame, for good and spoiled frames", () => {
  for (const size of ["64x48", "480p", "33x17", "1080p"]) {
    const source = new FrameSource(parseSize(size));
    const check = new FrameCheck(source);
    const { frameBytes, width, height } = source.geometry;
    const rowBytes = width * 3;
    const spots = [
      8, // first pixel byte after the stamp
      rowBytes - 1,
      rowBytes, // start of row 1
      2 * rowBytes + 5,
      Math.floor((height * 3) / 4) * rowBytes, // first ramp row
      Math.floor((height * 3) / 4) * rowBytes - 1, // last bars byte
      Math.floor(frameBytes / 2) + 1,
      frameBytes - rowBytes, // start of the last row
      frameBytes - 9, // last pixel byte before the end stamp
    ];
    for (let index = 0; index < 20; index++) {
      const frame = source.frame(index).slice();
      assert.equal(check.check(frame, index), undefined, `${size} frame ${index}`);
      for (const spot of spots) {
        const spoiled = frame.slice();
        spoiled[spot] ^= 0x40;
        const got = check.check(spoiled, index);
        assert.deepEqual(got, checkFrame(source, spoiled, index), `${size} ${index} @${spot}`);
        assert.equal(got?.kind, "corrupt");
      }
      // Another frame's bytes, a torn frame, a stale frame, the wrong size.
      const other = source.frame(index + 1).slice();
      writeStamp(other, index);
      assert.deepEqual(check.check(other, index), checkFrame(source, other, index));
      const torn = frame.slice();
      torn.set(source.frame(index + 3).subarray(frameBytes / 2), frameBytes / 2);
      assert.equal(check.check(torn, index)?.kind, "torn");
      assert.equal(check.check(source.frame(index).slice(), index + 8)?.kind, "stale");
      assert.equal(check.check(frame.subarray(1), index)?.kind, "size");
    }
  }
});
