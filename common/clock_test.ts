import assert from "node:assert/strict";
import { PYTHON } from "../testing/python.ts";
import { sharedClockMs } from "./clock.ts";

Deno.test("the shared clock is the one a child process reads", async () => {
  const before = sharedClockMs();
  const { stdout } = await new Deno.Command(PYTHON, {
    args: ["-c", "import time; print(time.monotonic() * 1000)"],
  }).output();
  const after = sharedClockMs();
  const child = Number(new TextDecoder().decode(stdout));
  assert(before <= child && child <= after, `${before} <= ${child} <= ${after}`);
});

Deno.test("the shared clock never goes back", () => {
  let last = sharedClockMs();
  for (let i = 0; i < 1000; i++) {
    const now = sharedClockMs();
    assert(now >= last);
    last = now;
  }
});
