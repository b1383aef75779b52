import assert from "node:assert/strict";
import {
  findBytes,
  MultipartError,
  newBoundary,
  parseMultipart,
  writeMultipart,
} from "./multipart.ts";
import { Scratch } from "./scratch.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("multipart: a written form parses back, the file a view into the body", () => {
  const boundary = newBoundary();
  assert.match(boundary, /^framebench-[0-9a-f]{24}$/);
  const bytes = new Uint8Array(1000).map((_, i) => i % 251);
  bytes.set(encoder.encode(`\r\n--${boundary.slice(0, 20)}`), 500); // a near-boundary inside
  const form = writeMultipart(
    boundary,
    { width: "20", height: "10" },
    { name: "frame", filename: "f.rgb", contentType: "application/octet-stream", bytes },
    new Scratch(),
  );
  const parts = parseMultipart(form, boundary);
  assert.deepEqual(parts.map((p) => [p.name, p.filename, p.contentType]), [
    ["width", undefined, undefined],
    ["height", undefined, undefined],
    ["frame", "f.rgb", "application/octet-stream"],
  ]);
  assert.equal(decoder.decode(parts[0].body), "20");
  assert.deepEqual(parts[2].body, bytes);
  assert.equal(parts[2].body.buffer, form.buffer, "no copy");
});

Deno.test("multipart: a form as a browser or curl writes it, with a preamble", () => {
  const text = 'preamble\r\n--XyZ\r\nContent-Disposition: form-data; name="index"\r\n\r\n7\r\n' +
    '--XyZ\r\nContent-Disposition: form-data; name="frame"; filename="a b.rgb"\r\n' +
    "Content-Type: application/octet-stream\r\n\r\nABC\r\n--XyZ--\r\nepilogue";
  const parts = parseMultipart(encoder.encode(text), "XyZ");
  assert.equal(parts.length, 2);
  assert.equal(decoder.decode(parts[0].body), "7");
  assert.equal(parts[1].filename, "a b.rgb");
  assert.equal(decoder.decode(parts[1].body), "ABC");
});

Deno.test("multipart: malformed forms are refused with a reason", () => {
  const cases: [string, string, RegExp][] = [
    ["no boundary here", "B", /no multipart boundary/],
    ['--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated', "B", /does not end/],
    ["--B\r\nX-Nothing: 1\r\n\r\nv\r\n--B--", "B", /no content-disposition/],
    ['--B\r\nContent-Disposition: form-data; name="a"', "B", /headers do not end/],
    ["--Bxx", "B", /not followed by a line break/],
    ["--B--", "", /boundary must be/],
  ];
  for (const [text, boundary, reason] of cases) {
    assert.throws(() => parseMultipart(encoder.encode(text), boundary), (e: Error) => {
      assert.ok(e instanceof MultipartError, text);
      assert.match(e.message, reason);
      return true;
    });
  }
  const many = '--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n'.repeat(20) + "--B--";
  assert.throws(() => parseMultipart(encoder.encode(many), "B"), /more than 16 parts/);
  assert.throws(
    () => parseMultipart(encoder.encode(many), "B", { maxParts: 3 }),
    /more than 3 parts/,
  );
});

Deno.test("findBytes() finds a needle, or -1", () => {
  const hay = encoder.encode("abcabd\r\n--x\r\n--xy");
  assert.equal(findBytes(hay, encoder.encode("abd")), 3);
  assert.equal(findBytes(hay, encoder.encode("\r\n--xy")), 11);
  assert.equal(findBytes(hay, encoder.encode("zz")), -1);
  assert.equal(findBytes(hay, encoder.encode("abc"), 1), -1);
});

Deno.test("multipart: a length hint is taken where a delimiter follows, else the part is searched", () => {
  const text = '--B\r\nContent-Disposition: form-data; name="n"\r\n\r\n4\r\n' +
    '--B\r\nContent-Disposition: form-data; name="frame"; filename="f"\r\n\r\n' +
    "ABCD\r\n--B--\r\n";
  const body = encoder.encode(text);
  const asked: string[] = [];
  const hint = (length: number) => (name: string, before: readonly { name: string }[]) => {
    asked.push(`${name}:${before.length}`);
    return name === "frame" ? length : undefined;
  };
  for (const length of [4, 3, 9, -5, 1e9]) {
    const parts = parseMultipart(body, "B", { lengthHint: hint(length) });
    assert.equal(decoder.decode(parts[1].body), "ABCD", `hint ${length}`);
  }
  assert.deepEqual(asked.slice(0, 2), ["n:0", "frame:1"]);
});
