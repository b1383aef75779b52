import assert from "node:assert/strict";
import {
  decodeProperties,
  encodeProperties,
  type FrameProperties,
  NO_SLOT,
  PROPERTIES_BYTES,
} from "./properties.ts";

const sample: FrameProperties = {
  index: 2 ** 40 + 7,
  width: 1920,
  height: 1080,
  format: "rgb24",
  slot: NO_SLOT,
  sentAt: 1764000000123.25,
};

Deno.test("frame properties round-trip", () => {
  const bytes = encodeProperties(sample);
  assert.equal(bytes.byteLength, PROPERTIES_BYTES);
  assert.deepEqual(decodeProperties(bytes), sample);
});

Deno.test("frame properties have the documented little-endian layout", () => {
  const view = new DataView(encodeProperties({ ...sample, slot: 3 }).buffer);
  assert.equal(view.getUint32(0, true), 0x31504246);
  assert.equal(view.getUint16(4, true), 1);
  assert.equal(view.getUint16(6, true), 3);
  assert.equal(view.getUint32(8, true), 1920);
  assert.equal(view.getUint32(12, true), 1080);
  assert.equal(view.getBigUint64(16, true), BigInt(sample.index));
  assert.equal(view.getFloat64(24, true), sample.sentAt);
});

Deno.test("decodeProperties() refuses malformed input with one line", () => {
  assert.throws(() => decodeProperties(new Uint8Array(5)), /must be 32 bytes, got 5/);
  assert.throws(() => decodeProperties(new Uint8Array(32)), /not the magic/);
  const bytes = encodeProperties(sample);
  new DataView(bytes.buffer).setUint16(4, 42, true);
  assert.throws(() => decodeProperties(bytes), /unknown pixel format code 42/);
});
