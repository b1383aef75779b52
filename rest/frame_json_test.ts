import assert from "node:assert/strict";
import { parseSize } from "../common/frame.ts";
import { parseFrameMessage, writeFrameMessage } from "./frame_json.ts";
import { HttpError } from "./http_error.ts";
import { Scratch } from "./scratch.ts";

const encoder = new TextEncoder();

Deno.test("frame messages: written bytes are the JSON the study sent, and parse back", () => {
  const geometry = parseSize("64x48");
  const bytes = writeFrameMessage({ geometry, index: 7 }, "QUJD", new Scratch());
  assert.deepEqual(JSON.parse(new TextDecoder().decode(bytes)), {
    width: 64,
    height: 48,
    format: "rgb24",
    index: 7,
    data: "QUJD",
  });
  assert.deepEqual(parseFrameMessage(bytes), { geometry, index: 7, data: "QUJD" });
  const jpeg = writeFrameMessage({ geometry, index: 1, quality: 75 }, "x", new Scratch());
  assert.equal(parseFrameMessage(jpeg, { jpeg: true }).quality, 75);
});

Deno.test("frame messages: bad ones are 400s with a reason", () => {
  const base = { width: 64, height: 48, format: "rgb24", index: 0, data: "" };
  const cases: [unknown, RegExp][] = [
    ["{nope", /not JSON/],
    [[1, 2], /must be a JSON object/],
    [{ ...base, data: undefined }, /"data" is missing/],
    [{ ...base, width: 0 }, /width must be a whole number from 8/],
    [{ ...base, height: "48" }, /height must be a whole number/],
    [{ ...base, format: "yuv" }, /"format" must be one of rgb24/],
    [{ ...base, format: "toString" }, /"format" must be one of rgb24/],
    [{ ...base, format: "constructor" }, /"format" must be one of rgb24/],
    [{ ...base, index: -1 }, /"index" must be a whole number/],
    [{ ...base, data: 5 }, /"data" must be a string/],
  ];
  for (const [body, reason] of cases) {
    const bytes = encoder.encode(typeof body === "string" ? body : JSON.stringify(body));
    assert.throws(() => parseFrameMessage(bytes), (e: Error) => {
      assert.ok(e instanceof HttpError && e.status === 400);
      assert.match(e.message, reason);
      return true;
    });
  }
  const quality = encoder.encode(JSON.stringify({ ...base, quality: 101 }));
  assert.throws(
    () => parseFrameMessage(quality, { jpeg: true }),
    /"quality" must be a whole number from 1 to 100/,
  );
});

Deno.test("frame messages: the fast path agrees with JSON.parse", () => {
  const parse = (text: string) => parseFrameMessage(encoder.encode(text));
  const head = '{"width":64,"height":48,"format":"rgb24","index":3';
  assert.equal(parse(`${head},"data":"QUJD"}`).data, "QUJD");
  // Not the fast path's shape: JSON.parse decides.
  assert.equal(parse(`${head},"data":"A\\u0042C"}`).data, "ABC");
  assert.equal(parse(`{"data":"QUJD",${head.slice(1)}}`).data, "QUJD");
  assert.equal(parse(`${head},"data":"x","data":"QUJD"}`).data, "QUJD");
  for (const bad of ['{,"data":"QUJD"}', `${head},,"data":"QUJD"}`, `${head},"data":"QU"JD"}`]) {
    assert.throws(() => parse(bad), /not JSON/, bad);
  }
});
