import assert from "node:assert/strict";
import { huffmanCode, huffmanDecode, huffmanEncode, HuffmanError } from "./huffman.ts";

const hex = (s: string) =>
  Uint8Array.from(s.replace(/\s/g, "").match(/../g)!, (b) => parseInt(b, 16));
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("huffman: codes of RFC 7541 Appendix B", () => {
  assert.equal(huffmanCode(48), "00000"); // '0'
  assert.equal(huffmanCode(32), "010100"); // ' '
  assert.equal(huffmanCode(0), "1111111111000");
  assert.equal(huffmanCode(10), "111111111111111111111111111100");
  assert.equal(huffmanCode(255), "11111111111111111111101110");
  assert.equal(huffmanCode(256), "1".repeat(30)); // EOS
});

Deno.test("huffman: the strings of RFC 7541 Appendix C.4 and C.6", () => {
  const cases: [string, string][] = [
    ["f1e3 c2e5 f23a 6ba0 ab90 f4ff", "www.example.com"],
    ["a8eb 1064 9cbf", "no-cache"],
    ["25a8 49e9 5ba9 7d7f", "custom-key"],
    ["25a8 49e9 5bb8 e8b4 bf", "custom-value"],
    ["6402", "302"],
    ["aec3 771a 4b", "private"],
    ["d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff", "Mon, 21 Oct 2013 20:13:21 GMT"],
    ["9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3", "https://www.example.com"],
  ];
  for (const [coded, plain] of cases) {
    assert.equal(text(huffmanDecode(hex(coded))), plain);
    assert.deepEqual(huffmanEncode(bytes(plain)), hex(coded));
  }
});

Deno.test("huffman: every byte value round-trips", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(huffmanDecode(huffmanEncode(all)), all);
  assert.deepEqual(huffmanDecode(new Uint8Array(0)), new Uint8Array(0));
});

Deno.test("huffman: EOS, long padding and zero padding are refused", () => {
  // EOS (30 ones) then padding.
  assert.throws(() => huffmanDecode(hex("ffff ffff")), HuffmanError);
  // '0' (00000) then 11 ones: padding over 7 bits.
  assert.throws(() => huffmanDecode(hex("07 ff")), HuffmanError);
  // '0' (00000) then 000: padding that is not ones.
  assert.throws(() => huffmanDecode(hex("00")), HuffmanError);
  // '0' then 111: fine.
  assert.equal(text(huffmanDecode(hex("07"))), "0");
});
