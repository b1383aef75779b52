import assert from "node:assert/strict";
import { change, relativeSpread, spread } from "./stats.ts";

Deno.test("spread() gives median, min and max", () => {
  assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3, n: 3 });
  assert.deepEqual(spread([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4, n: 4 });
  assert.deepEqual(spread([5]), { median: 5, min: 5, max: 5, n: 1 });
  assert.ok(Number.isNaN(spread([]).median));
});

Deno.test("relativeSpread() is the half range over the median", () => {
  assert.equal(relativeSpread(spread([90, 100, 110])), 0.1);
  assert.equal(relativeSpread(spread([0])), 0);
});

Deno.test("change() marks overlapping ranges as noise", () => {
  const a = spread([95, 100, 105]);
  assert.deepEqual(change(a, spread([102, 104, 108])), { ratio: 0.04, withinNoise: true });
  const b = change(a, spread([150, 152, 160]));
  assert.equal(b.withinNoise, false);
  assert.ok(Math.abs(b.ratio - 0.52) < 1e-9);
  assert.equal(change(spread([100]), spread([102])).withinNoise, true, "2 % of one run each");
  assert.equal(change(spread([100]), spread([110])).withinNoise, false);
});
