import assert from "node:assert/strict";
import { frameGeometry } from "../common/frame.ts";
import { checkPixelLimit, checkWholeFrame, frameMessages, FrameSequence } from "./frame_message.ts";

const geometry = frameGeometry(16, 10); // 480 bytes
const frame = Uint8Array.from({ length: geometry.frameBytes }, (_, i) => i % 251);

Deno.test("frame messages: a whole frame is one message whose pixels are the frame", () => {
  const [m, ...rest] = frameMessages(frame, 7, geometry);
  assert.equal(rest.length, 0);
  assert.equal(m.pixels, frame);
  assert.deepEqual([m.width, m.height, m.format, m.index, m.offset, m.frameBytes], [
    16,
    10,
    1,
    7,
    0,
    0,
  ]);
  assert.ok(m.timestamp > 1.7e12);
  assert.equal(checkWholeFrame(m), undefined);
});

Deno.test("frame messages: chunks are views of the frame that cover it in order", () => {
  const chunks = frameMessages(frame, 3, geometry, 100);
  assert.deepEqual(chunks.map((c) => [c.offset, c.pixels.byteLength]), [
    [0, 100],
    [100, 100],
    [200, 100],
    [300, 100],
    [400, 80],
  ]);
  for (const c of chunks) {
    assert.equal(c.pixels.buffer, frame.buffer, "no copy");
    assert.equal(c.frameBytes, 480);
    assert.equal(c.index, 3);
  }
  const sequence = new FrameSequence();
  for (const [i, c] of chunks.entries()) {
    assert.equal(sequence.accept(c), undefined);
    assert.equal(sequence.frameDone, i === chunks.length - 1);
  }
  assert.equal(frameMessages(frame, 3, geometry, 480).length, 1, "a chunk as big as the frame");
});

Deno.test("frame messages: a whole frame that does not match its geometry is refused", () => {
  const [m] = frameMessages(frame, 0, geometry);
  assert.match(
    checkWholeFrame({ ...m, pixels: frame.subarray(1) })!,
    /479 bytes, the frame needs 480/,
  );
  assert.match(checkWholeFrame({ ...m, format: 9 })!, /unknown pixel format 9/);
  assert.match(checkWholeFrame({ ...m, width: 0 })!, /frame of 0x10 pixels/);
  assert.match(checkWholeFrame({ ...m, offset: 3, frameBytes: 480 })!, /a chunk .* where a whole/);
});

Deno.test("frame messages: chunks out of place are refused", () => {
  const [a, b, c] = frameMessages(frame, 5, geometry, 200);
  const [other] = frameMessages(frame, 6, geometry, 200);
  const [whole] = frameMessages(frame, 6, geometry);
  const cases: [Parameters<FrameSequence["accept"]>[0][], RegExp][] = [
    [[b], /frame 5 starts with a chunk at offset 200/],
    [[a, c], /chunk of frame 5 at offset 400, expected 200/],
    [[a, other], /a chunk of frame 6 in the middle of frame 5/],
    [[a, whole], /a whole frame 6 in the middle of chunked frame 5/],
    [[{ ...a, frameBytes: 400 }], /the frame is 400 bytes, its geometry needs 480/],
    [[{ ...a, pixels: frame.subarray(0, 0) }], /chunk of 0 bytes/],
    [
      [a, b, { ...c, pixels: frame.subarray(0, 81) }],
      /chunk of 81 bytes at offset 400 of a 480-byte frame/,
    ],
  ];
  for (const [messages, reason] of cases) {
    const sequence = new FrameSequence();
    const problems = messages.map((m) => sequence.accept(m));
    assert.deepEqual(problems.slice(0, -1), problems.slice(0, -1).map(() => undefined));
    assert.match(problems.at(-1) ?? "accepted", reason);
  }
});

Deno.test("frame messages: the pixel limit passes exactly max bytes and refuses one more", () => {
  const [m] = frameMessages(frame, 0, geometry);
  assert.equal(checkPixelLimit(m, 480), undefined);
  assert.equal(
    checkPixelLimit(m, 479),
    "pixels are 480 bytes, over the server's --max-bytes of 479",
  );
  // The default server's limit, one 4K frame: a 1x8294401 frame is 3 bytes
  // over it, though its message is within grpc-js's whole-message limit.
  // (Not sent for real here: 25 MB messages make Deno 2.9.6's node:http2
  // abort now and then when the client closes its connection,
  // denoland/deno#36788.)
  const max4k = 3840 * 2160 * 3;
  const m4k = { ...m, width: 1, height: 8294401, pixels: new Uint8Array(max4k + 3) };
  assert.equal(
    checkPixelLimit(m4k, max4k),
    "pixels are 24883203 bytes, over the server's --max-bytes of 24883200",
  );
  assert.equal(checkPixelLimit({ ...m4k, pixels: new Uint8Array(max4k) }, max4k), undefined);
});
