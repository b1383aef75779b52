import assert from "node:assert/strict";
import { tuneAllocator } from "./allocator.ts";

Deno.test("tuneAllocator() tunes glibc on Linux and says so", () => {
  const result = tuneAllocator();
  if (Deno.build.os === "linux") assert.equal(result, "glibc tuned");
  else assert.match(result, /^default \(/);
});
