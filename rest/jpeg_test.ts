import assert from "node:assert/strict";
import { parseSize } from "../common/frame.ts";
import { FrameSource, STAMP_BYTES } from "../common/source.ts";
import { decodeJpeg, encodeJpeg } from "./jpeg.ts";
import { psnr } from "./jpeg_quality.ts";

Deno.test("psnr(): Infinity for equal frames, low for different ones", () => {
  const a = new Uint8Array([10, 20, 30, 40]);
  assert.equal(psnr(a, a.slice()), Infinity);
  assert.ok(
    Math.abs(psnr(a, new Uint8Array([11, 20, 30, 40])) - 10 * Math.log10(255 * 255 * 4)) < 1e-9,
  );
  assert.throws(() => psnr(a, new Uint8Array(3)), RangeError);
});

Deno.test("jpeg: a frame survives encode and decode within the PSNR the client asks, another frame does not", async () => {
  const geometry = parseSize("480p");
  const source = new FrameSource(geometry);
  const jpeg = await encodeJpeg(source.frame(2), geometry, 90);
  assert.ok(jpeg.byteLength < geometry.frameBytes / 10);
  const decoded = await decodeJpeg(jpeg);
  assert.deepEqual([decoded.width, decoded.height, decoded.channels], [640, 480, 3]);
  const body = decoded.pixels.subarray(STAMP_BYTES, geometry.frameBytes - STAMP_BYTES);
  assert.ok(psnr(body, source.body(2)) > 30);
  assert.ok(psnr(body, source.body(3)) < 10);
});

Deno.test("jpeg: garbage and a cut JPEG do not decode, with one line", async () => {
  const geometry = parseSize("64x48");
  const jpeg = await encodeJpeg(new FrameSource(geometry).frame(0), geometry, 90);
  for (const bad of [new Uint8Array([1, 2, 3, 4]), jpeg.subarray(0, jpeg.byteLength >> 1)]) {
    await assert.rejects(decodeJpeg(bad), (e: Error) => {
      assert.match(e.message, /^JPEG does not decode: /);
      assert.equal(e.message.split("\n").length, 1);
      return true;
    });
  }
});
