import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { FRAME_FIELDS, FrameCodec } from "./frame_codec.ts";
import { frameEchoService, frameFields, type FrameMessage, loadSchema } from "./service.ts";

const protobufjs = frameEchoService("protobufjs").Echo;
const codec = new FrameCodec(frameFields());

function message(overrides: Partial<FrameMessage> = {}): FrameMessage {
  return {
    width: 1920,
    height: 1080,
    format: 1,
    index: 2 ** 40 + 7,
    timestamp: 1764000000123.25,
    pixels: Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 256),
    offset: 0,
    frameBytes: 0,
    ...overrides,
  };
}

function plain(m: FrameMessage): Record<string, unknown> {
  return { ...m, pixels: [...m.pixels] };
}

const CASES: [string, FrameMessage][] = [
  ["a whole frame", message()],
  ["a chunk", message({ offset: 4096, frameBytes: 6220800, index: 3 })],
  [
    "all defaults but the pixels",
    message({ width: 0, height: 0, format: 0, index: 0, timestamp: 0 }),
  ],
  ["no pixels", message({ pixels: new Uint8Array(0) })],
  ["the largest index", message({ index: Number.MAX_SAFE_INTEGER })],
  [
    "large 32-bit fields",
    message({ width: 2 ** 32 - 1, offset: 2 ** 31, frameBytes: 2 ** 32 - 1 }),
  ],
];

Deno.test("frame codec: the schema's field numbers are the codec's", () => {
  assert.deepEqual(frameFields(loadSchema()), FRAME_FIELDS);
});

Deno.test("frame codec: protobufjs reads what it writes, and it reads what protobufjs writes", () => {
  for (const [name, m] of CASES) {
    const ours = codec.serialize(m);
    assert.deepEqual(plain(protobufjs.requestDeserialize(ours) as FrameMessage), plain(m), name);
    const theirs = protobufjs.requestSerialize(m) as Buffer;
    assert.deepEqual(plain(codec.deserialize(theirs)), plain(m), name);
    assert.ok(ours.byteLength <= theirs.byteLength, `${name}: defaults are not written`);
  }
});

Deno.test("frame codec: decoded pixels are a view of the message, not a copy", () => {
  const bytes = codec.serialize(message());
  const decoded = codec.deserialize(bytes);
  assert.equal(decoded.pixels.buffer, bytes.buffer);
  assert.equal(
    decoded.pixels.byteOffset + decoded.pixels.byteLength,
    bytes.byteOffset + bytes.length,
  );
});

Deno.test("frame codec: a decoded message is sent back as the bytes it came from", () => {
  const bytes = protobufjs.requestSerialize(message()) as Buffer;
  const decoded = codec.deserialize(bytes);
  assert.equal(codec.serialize(decoded), bytes, "the same buffer, no copy");
  assert.ok(Object.isFrozen(decoded), "it cannot be changed before it goes back");
  const changed = { ...decoded, index: 1 };
  assert.notEqual(codec.serialize(changed), bytes);
  assert.equal(codec.deserialize(codec.serialize(changed)).index, 1);
});

Deno.test("frame codec: unknown fields of every wire type are skipped", () => {
  const known = protobufjs.requestSerialize(message()) as Buffer;
  const unknown = Buffer.from([
    (9 << 3) | 0,
    150,
    1, // varint 150
    (10 << 3) | 1,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8, // fixed64
    (11 << 3) | 2,
    3,
    9,
    9,
    9, // bytes
    (12 << 3) | 5,
    1,
    2,
    3,
    4, // fixed32
  ]);
  const decoded = codec.deserialize(Buffer.concat([unknown, known, unknown]));
  assert.deepEqual(plain(decoded), plain(message()));
});

Deno.test("frame codec: a malformed message throws one line", () => {
  const good = codec.serialize(message());
  const cases: [Buffer, RegExp][] = [
    [good.subarray(0, good.length - 1), /truncated in a bytes field/],
    [good.subarray(0, 1), /truncated in a varint/],
    [Buffer.from([(5 << 3) | 1, 1, 2]), /truncated in a 64-bit field/],
    [Buffer.from([(6 << 3) | 0, 1]), /pixels has wire type 0, not 2/],
    [Buffer.from([(1 << 3) | 2, 0]), /width has wire type 2, not 0/],
    [Buffer.from([(13 << 3) | 3]), /unknown wire type 3/],
    [Buffer.from([8, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1]), /longer than 10 bytes/],
  ];
  for (const [bytes, reason] of cases) {
    assert.throws(() => codec.deserialize(bytes), (error: Error) => {
      assert.match(error.message, reason);
      assert.equal(error.message.split("\n").length, 1);
      return true;
    });
  }
});

Deno.test("frame codec: the head and then the pixels are the whole message", () => {
  const codec = new FrameCodec();
  for (
    const m of [message(), { ...message(), timestamp: 0, index: 0, pixels: new Uint8Array(0) }]
  ) {
    const head = codec.encodeHead(m);
    const whole = new Uint8Array(head.length + m.pixels.length);
    whole.set(head);
    whole.set(m.pixels, head.length);
    assert.deepEqual(whole, new Uint8Array(codec.serialize(m)));
  }
});
