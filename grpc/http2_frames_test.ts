import assert from "node:assert/strict";
import {
  ErrorCode,
  errorCodeName,
  Flag,
  frame,
  FrameType,
  goawayFrame,
  parseFrameHeader,
  parseSettings,
  pingFrame,
  PREFACE,
  readU32,
  rstStreamFrame,
  Setting,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
} from "./http2_frames.ts";

Deno.test("http2 frames: a header is 9 bytes, big-endian, the reserved bit ignored", () => {
  const out = new Uint8Array(9);
  writeFrameHeader(out, 0, 0xabcdef, FrameType.DATA, Flag.END_STREAM | Flag.PADDED, 0x7fffffff);
  assert.deepEqual([...out], [0xab, 0xcd, 0xef, 0, 0x09, 0x7f, 0xff, 0xff, 0xff]);
  assert.deepEqual(parseFrameHeader(out), {
    length: 0xabcdef,
    type: FrameType.DATA,
    flags: 0x09,
    streamId: 0x7fffffff,
  });
  out[5] |= 0x80; // the reserved bit set by a peer
  assert.equal(parseFrameHeader(out).streamId, 0x7fffffff);
});

Deno.test("http2 frames: the preface, SETTINGS and its ACK, WINDOW_UPDATE, RST_STREAM, PING, GOAWAY", () => {
  assert.equal(new TextDecoder().decode(PREFACE), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  const settings = settingsFrame(
    new Map([[Setting.MAX_FRAME_SIZE, 0xffffff], [Setting.ENABLE_PUSH, 0]]),
  );
  assert.deepEqual(parseFrameHeader(settings), {
    length: 12,
    type: FrameType.SETTINGS,
    flags: 0,
    streamId: 0,
  });
  assert.deepEqual(parseSettings(settings.subarray(9)), [[Setting.MAX_FRAME_SIZE, 0xffffff], [
    Setting.ENABLE_PUSH,
    0,
  ]]);
  assert.equal(parseSettings(new Uint8Array(7)), undefined);
  assert.deepEqual([...settingsFrame(new Map(), true)], [0, 0, 0, 4, 1, 0, 0, 0, 0]);
  assert.deepEqual([...windowUpdateFrame(3, 65535)], [0, 0, 4, 8, 0, 0, 0, 0, 3, 0, 0, 0xff, 0xff]);
  assert.equal(readU32(rstStreamFrame(5, ErrorCode.CANCEL), 9), ErrorCode.CANCEL);
  const goaway = goawayFrame(7, ErrorCode.PROTOCOL_ERROR, "bad");
  assert.equal(readU32(goaway, 9), 7);
  assert.equal(readU32(goaway, 13), ErrorCode.PROTOCOL_ERROR);
  assert.equal(new TextDecoder().decode(goaway.subarray(17)), "bad");
  const ping = pingFrame(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), true);
  assert.deepEqual(parseFrameHeader(ping), {
    length: 8,
    type: FrameType.PING,
    flags: Flag.ACK,
    streamId: 0,
  });
  assert.deepEqual([...ping.subarray(9)], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(pingFrame(new Uint8Array(8))[4], 0);
  assert.deepEqual(frame(FrameType.PING, Flag.ACK, 0, new Uint8Array(8)).length, 17);
  assert.equal(errorCodeName(ErrorCode.ENHANCE_YOUR_CALM), "ENHANCE_YOUR_CALM");
  assert.equal(errorCodeName(0x99), "error 0x99");
});
