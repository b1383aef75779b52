import assert from "node:assert/strict";
import { formatFromCode, frameGeometry, parseSize, sizeName } from "./frame.ts";

/** The geometry parseSize() should give, written out. */
function rgb24(width: number, height: number, frameBytes: number) {
  return { width, height, format: "rgb24", frameBytes };
}

Deno.test("parseSize() knows the presets", () => {
  assert.deepEqual(parseSize("1080p"), rgb24(1920, 1080, 6220800));
  assert.equal(parseSize("4K").frameBytes, 3840 * 2160 * 3);
  assert.equal(sizeName(parseSize("480p")), "640x480");
  assert.equal(sizeName(parseSize("720p")), "1280x720");
});

Deno.test("parseSize() takes WxH", () => {
  assert.deepEqual(parseSize("320x240"), rgb24(320, 240, 230400));
});

Deno.test("parseSize() refuses what is not a size", () => {
  for (
    const bad of ["", "1080", "12x", "x12", "0x10", "10x0", "7x100", "9000x10", "1.5x10", "abc"]
  ) {
    assert.throws(() => parseSize(bad), RangeError, bad);
  }
});

Deno.test("frameGeometry() refuses an unknown format", () => {
  // @ts-expect-error: a format the type does not allow, as from untyped input
  assert.throws(() => frameGeometry(16, 16, "yuv420"), /unknown pixel format/);
  // Names that every object has are no formats.
  for (const name of ["toString", "constructor", "__proto__"]) {
    // @ts-expect-error: as above
    assert.throws(() => frameGeometry(16, 16, name), /unknown pixel format/, name);
  }
});

Deno.test("formatFromCode() maps wire codes", () => {
  assert.equal(formatFromCode(1), "rgb24");
  assert.equal(formatFromCode(99), undefined);
});
