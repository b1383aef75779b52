import assert from "node:assert/strict";
import { decodedLength, DecodeError, ENCODERS, textCodec } from "./text_codec.ts";

const bytes = new Uint8Array(1001).map((_, i) => (i * 37) & 255);

Deno.test("text codecs: native and js agree and round-trip", () => {
  for (const encoding of ["base64", "hex"] as const) {
    const [native, js] = ENCODERS.map((e) => textCodec(encoding, e));
    const text = native.encode(bytes);
    assert.equal(js.encode(bytes), text, encoding);
    assert.equal(decodedLength(text, encoding), bytes.length);
    const out = new Uint8Array(bytes.length);
    const decoded = native.decode(text, out);
    assert.equal(decoded, out, "native decodes in place");
    assert.deepEqual(decoded, bytes);
    assert.deepEqual(js.decode(text, new Uint8Array(bytes.length)), bytes);
  }
});

Deno.test("text codecs: wrong length and invalid text are DecodeErrors", () => {
  for (const encoder of ENCODERS) {
    const b64 = textCodec("base64", encoder);
    const hex = textCodec("hex", encoder);
    const out = new Uint8Array(6);
    assert.throws(() => b64.decode("AAAA", out), DecodeError);
    assert.throws(() => b64.decode("AAAA", out), /holds 3 bytes, the stated size needs 6/);
    assert.throws(() => b64.decode("AAAA$AAA", out), /not valid base64/);
    assert.throws(() => hex.decode("00112233445", out), /not a whole number of bytes/);
    assert.throws(() => hex.decode("0011223344zz", out), /not valid hex/);
    assert.deepEqual(b64.decode("AAECAwQF", out), new Uint8Array([0, 1, 2, 3, 4, 5]));
  }
  assert.equal(decodedLength("AAECAw==", "base64"), 4);
  assert.equal(decodedLength("AAECAw", "base64"), 4);
  assert.equal(decodedLength("A", "base64"), -1);
});
