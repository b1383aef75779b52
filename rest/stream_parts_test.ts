import assert from "node:assert/strict";
import type { FrameProperties } from "../common/properties.ts";
import { endPart, framePart, MAX_HEAD_BYTES, PartReader } from "./stream_parts.ts";

const props = (index: number): FrameProperties => ({
  index,
  width: 8,
  height: 4,
  format: "rgb24",
  slot: 0xffff,
  sentAt: 1234.5 + index,
});

function frame(index: number): Uint8Array {
  return Uint8Array.from({ length: 8 * 4 * 3 }, (_, i) => (i + index) % 251);
}

/** The bytes as a stream of `size`-byte chunks: a byte stream (BYOB) or not. */
function chunked(bytes: Uint8Array, size: number, byob: boolean): ReadableStream<Uint8Array> {
  let at = 0;
  if (!byob) {
    return new ReadableStream({
      pull(controller) {
        if (at >= bytes.byteLength) return controller.close();
        controller.enqueue(bytes.slice(at, at += size));
      },
    });
  }
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const request = controller.byobRequest!;
      if (at >= bytes.byteLength) {
        controller.close();
        return request.respond(0);
      }
      const view = request.view as Uint8Array;
      const n = Math.min(size, view.byteLength, bytes.byteLength - at);
      view.set(bytes.subarray(at, at + n));
      at += n;
      request.respond(n);
    },
  });
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.byteLength) - p.byteLength);
  return out;
}

const wire = concat(framePart(frame(7), props(7)), framePart(frame(8), props(8)), endPart(9, 0));

for (const byob of [true, false]) {
  for (const size of [1, 5, 97, 100_000]) {
    Deno.test(`stream parts: read back whole, in ${size}-byte chunks (byob: ${byob})`, async () => {
      const reader = new PartReader(chunked(wire, size, byob), 8 * 4 * 3);
      for (const index of [7, 8]) {
        const part = await reader.next();
        assert(part.kind === "frame");
        assert.deepEqual(part.properties, props(index));
        assert.deepEqual(part.frame, frame(index));
      }
      assert.deepEqual(await reader.next(), { kind: "end", published: 9 });
    });
  }
}

Deno.test("stream parts: a body that ends mid-frame is one line naming the frame", async () => {
  const part = framePart(frame(3), props(3));
  const cut = part.subarray(0, part.byteLength - 40);
  const reader = new PartReader(chunked(cut, 64, true));
  await assert.rejects(
    reader.next(),
    /^Error: the stream closed mid-frame \(\d+ of 96 bytes of frame 3\)$/,
  );
});

Deno.test("stream parts: a body that ends mid-headers or without its end part", async () => {
  const part = framePart(frame(3), props(3));
  await assert.rejects(new PartReader(chunked(part.subarray(0, 30), 64, true)).next(), /mid-part/);
  const reader = new PartReader(chunked(part, 64, false));
  assert.equal((await reader.next()).kind, "frame");
  await assert.rejects(reader.next(), /closed without its end part/);
});

Deno.test("stream parts: what is not this format is refused in one line", async () => {
  const enc = (text: string) => new TextEncoder().encode(text);
  const cases: [string, RegExp][] = [
    ["HTTP/1.1 200 OK\r\n\r\n", /expected the boundary --framebench-frame/],
    ["--framebench-frame\r\nContent-Length: 5\r\n\r\n", /no x-frame-width/],
    [
      "--framebench-frame\r\nContent-Length: 9\r\nX-Frame-Index: 1\r\nX-Frame-Width: 8\r\n" +
      "X-Frame-Height: 4\r\nX-Published-At: 1\r\n\r\n",
      /frame 1: 9 bytes do not make a 8x4 rgb24/,
    ],
    ["x".repeat(MAX_HEAD_BYTES + 10), /headers are over 16384 bytes/],
  ];
  for (const [text, error] of cases) {
    await assert.rejects(new PartReader(chunked(enc(text), 4096, true)).next(), error);
  }
});
