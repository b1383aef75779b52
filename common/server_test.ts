import assert from "node:assert/strict";
import { ServerStats } from "./server.ts";

Deno.test("ServerStats.refuse() counts every refusal but logs the first five, then at most one line a second", () => {
  const logged: string[] = [];
  const original = console.error;
  console.error = (line: string) => logged.push(line);
  try {
    const stats = new ServerStats("demo");
    for (let i = 0; i < 1000; i++) stats.refuse("garbage");
    assert.equal(stats.refused, 1000);
    assert.equal(logged.length, 5, "the first five, then nothing within the same second");
    assert.match(logged[0], /^demo:server: refused a message: garbage$/);
  } finally {
    console.error = original;
  }
});
