import assert from "node:assert/strict";
import { parseSize } from "./frame.ts";
import { FrameSource, readStamps, STAMP_BYTES, writeStamp } from "./source.ts";
import { checkFrame } from "./verify.ts";

const geometry = parseSize("64x48");

Deno.test("FrameSource stamps each frame with its index at both ends", () => {
  const source = new FrameSource(geometry);
  assert.deepEqual(readStamps(source.frame(5)), { head: 5, tail: 5 });
  assert.deepEqual(readStamps(source.frame(2 ** 40 + 3)), { head: 2 ** 40 + 3, tail: 2 ** 40 + 3 });
});

Deno.test("FrameSource makes distinct pool frames that differ nearly everywhere", () => {
  const source = new FrameSource(geometry, { poolSize: 4 });
  const a = source.body(0), b = source.body(1);
  let same = 0;
  for (let i = 0; i < a.length; i += 3) {
    if (a[i] === b[i] && a[i + 1] === b[i + 1] && a[i + 2] === b[i + 2]) same++;
  }
  assert.equal(same, 0, "every pixel changes from one pool frame to the next");
  assert.equal(source.poolSize, 4);
});

Deno.test("FrameSource keeps a 4K pool within its memory budget", () => {
  const source = new FrameSource(parseSize("8192x8192"));
  assert.equal(source.poolSize, 2);
});

Deno.test("checkFrame() accepts the frame that was sent", () => {
  const source = new FrameSource(geometry);
  for (let i = 0; i < 20; i++) {
    assert.equal(checkFrame(source, source.frame(i).slice(), i), undefined);
  }
});

Deno.test("checkFrame() catches a frame of the wrong size", () => {
  const source = new FrameSource(geometry);
  const frame = source.frame(3);
  assert.equal(checkFrame(source, frame.subarray(0, 100), 3)?.kind, "size");
});

Deno.test("checkFrame() catches a stale frame", () => {
  const source = new FrameSource(geometry);
  const old = source.frame(1).slice();
  assert.equal(checkFrame(source, old, 9)?.kind, "stale");
  // Same pool frame (1 and 9 share it with 8 in the pool), only the stamp tells.
  assert.match(checkFrame(source, old, 9)!.message, /got frame 1/);
});

Deno.test("checkFrame() catches a frame from the future", () => {
  const source = new FrameSource(geometry);
  assert.equal(checkFrame(source, source.frame(7).slice(), 6)?.kind, "wrong-index");
});

Deno.test("checkFrame() catches a torn frame", () => {
  const source = new FrameSource(geometry);
  const first = source.frame(4).slice();
  const second = source.frame(5).slice();
  const torn = first.slice();
  torn.set(second.subarray(torn.length / 2), torn.length / 2);
  const error = checkFrame(source, torn, 4);
  assert.equal(error?.kind, "torn");
  assert.match(error!.message, /starts as frame 4 and ends as frame 5/);
});

Deno.test("checkFrame() catches a frame torn in the middle, stamps intact", () => {
  const source = new FrameSource(geometry);
  const frame = source.frame(4).slice();
  frame.set(source.frame(5).subarray(1000, 2000), 1000);
  assert.equal(checkFrame(source, frame, 4)?.kind, "corrupt");
});

Deno.test("checkFrame() catches one flipped byte and says where", () => {
  const source = new FrameSource(geometry);
  const frame = source.frame(2).slice();
  frame[777] ^= 1;
  const error = checkFrame(source, frame, 2);
  assert.equal(error?.kind, "corrupt");
  assert.match(error!.message, /offset 777/);
});

Deno.test("checkFrame() finds every spoiled byte, reading the frame once or whole", () => {
  // The read-once comparison (runs of equal rows) against the plain one, on
  // sizes with and without such runs and odd row lengths.
  for (const size of ["64x48", "33x17", "8x8", "11x9", "480p", "1080p"]) {
    const source = new FrameSource(parseSize(size));
    const { frameBytes, width, height } = source.geometry;
    const rowBytes = width * 3;
    const spots = [
      8, // the first pixel byte after the start stamp
      rowBytes - 1,
      rowBytes, // the start of row 1
      rowBytes + 7,
      2 * rowBytes + 5,
      Math.floor((height * 3) / 4) * rowBytes, // the first ramp row
      Math.floor((height * 3) / 4) * rowBytes - 1, // the last bars byte
      Math.floor(frameBytes / 2) + 1,
      frameBytes - rowBytes, // the start of the last row
      frameBytes - rowBytes - 1,
      frameBytes - 9, // the last pixel byte before the end stamp
    ].filter((at) => at >= STAMP_BYTES && at < frameBytes - STAMP_BYTES);
    for (let index = 0; index < 20; index++) {
      const frame = source.frame(index).slice();
      assert.equal(checkFrame(source, frame, index), undefined, `${size} frame ${index}`);
      for (const spot of spots) {
        const spoiled = frame.slice();
        spoiled[spot] ^= 0x40;
        const error = checkFrame(source, spoiled, index);
        assert.equal(error?.kind, "corrupt", `${size} frame ${index}, byte ${spot}`);
        assert.match(error!.message, new RegExp(`offset ${spot} `));
      }
      // Another pool frame's bytes under the right stamps.
      const other = source.frame(index + 1).slice();
      writeStamp(other, index);
      assert.equal(checkFrame(source, other, index)?.kind, "corrupt", `${size} other`);
    }
  }
});

Deno.test("writeStamp() and readStamps() round-trip", () => {
  const frame = new Uint8Array(STAMP_BYTES * 3);
  writeStamp(frame, 123456789012);
  assert.deepEqual(readStamps(frame), { head: 123456789012, tail: 123456789012 });
});
