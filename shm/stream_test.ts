// The stream mode of the shared-memory transport: the suite every
// transport's stream mode passes (testing/stream_suite.ts), then what is
// shm's own: frames overwritten under a reader (drop), --loan, a stale ring
// left by a killed publisher, a segment that is not a stream.
import assert from "node:assert/strict";
import { listNames, runClient, startServer } from "../testing/processes.ts";
import { publisherRecord, streamSuite, subscriberRecord } from "../testing/stream_suite.ts";
import { sharedMemoryPlatform } from "./platform.ts";

let n = 0;
function freshName(): string {
  return `fbstream-${Deno.pid}-${n++}`;
}

// The suite's SIGKILLed publisher leaves its ring by design (the next publisher
// replaces it): the tests' names go when they end.
const platform = await sharedMemoryPlatform();
globalThis.addEventListener("unload", () => {
  for (const name of platform.list(`fbstream-${Deno.pid}-`)) platform.unlink(name);
});

streamSuite({
  transport: "shm",
  publisher: "shm:pub",
  subscriber: "shm:sub",
  overflow: ["drop", "block"],
  endpoint() {
    const name = freshName();
    return Promise.resolve({ url: `shm://${name}`, leftover: `/dev/shm/${name}` });
  },
});

const SMALL = ["--size", "480p"];
const left = (name: string) => listNames("/dev/shm").filter((n) => n.startsWith(name));

Deno.test(
  "shm stream: under drop at max, frames overwritten while read are dropped, none is wrong",
  async () => {
    const name = freshName();
    const url = `shm://${name}`;
    const publisher = await startServer("shm:pub", [
      ...["--endpoint", url, ...SMALL, "--json", "--fps", "max", "--seconds", "2"],
      ...["--subscribers", "2", "--slots", "2", "--overflow", "drop"],
    ]);
    const sub = (args: string[]) =>
      runClient("shm:sub", ["--endpoint", url, ...SMALL, "--warmup", "0", ...args]);
    const [fast, slow] = await Promise.all([sub([]), sub(["--slow", "20"])]);
    const p = await publisherRecord(publisher);
    assert.equal(p.status, "ok", p.reason ?? "");
    for (const run of [fast, slow]) {
      assert.equal(run.code, 0, run.stderr);
      const s = subscriberRecord(run);
      assert.equal(s.errors, 0, s.firstError ?? "");
      assert.equal(s.verified, s.frames);
      assert.equal(s.published, p.published);
      assert.equal(s.frames + s.dropped, s.published);
    }
    const s = subscriberRecord(slow);
    assert(s.dropped > 0, `the slow subscriber dropped nothing of ${s.published}`);
    assert.deepEqual(left(name), []);
  },
);

Deno.test("shm stream: --loan under block: every frame, exact", async () => {
  const name = freshName();
  const url = `shm://${name}`;
  const publisher = await startServer("shm:pub", [
    ...["--endpoint", url, ...SMALL, "--json", "--fps", "60", "--seconds", "2"],
    ...["--subscribers", "2", "--overflow", "block", "--loan"],
  ]);
  const sub = () => runClient("shm:sub", ["--endpoint", url, ...SMALL, "--warmup", "0"]);
  const runs = await Promise.all([sub(), sub()]);
  const p = await publisherRecord(publisher);
  assert.equal(p.status, "ok", p.reason ?? "");
  for (const run of runs) {
    assert.equal(run.code, 0, run.stderr);
    const s = subscriberRecord(run);
    assert.equal(s.errors, 0, s.firstError ?? "");
    assert.equal(s.frames, p.published);
    assert.equal(s.dropped, 0);
  }
  assert.deepEqual(left(name), []);
});

Deno.test(
  "shm stream: a ring left by a killed publisher is refused by subscribers and replaced",
  async () => {
    const name = freshName();
    const url = `shm://${name}`;
    const killed = await startServer("shm:pub", ["--endpoint", url, ...SMALL, "--fps", "5"]);
    await killed.stop("SIGKILL");
    assert.deepEqual(left(name), [name], "SIGKILL leaves the name");
    const orphan = await runClient("shm:sub", ["--endpoint", url, ...SMALL]);
    assert.equal(orphan.code, 1);
    assert.match(orphan.stderr.trim(), /^shm:sub: no live publisher at \/dev\/shm\/\S+ \(pid \d+/);
    assert.equal(orphan.stderr.trim().split("\n").length, 1, orphan.stderr);
    const publisher = await startServer("shm:pub", [
      ...["--endpoint", url, ...SMALL, "--json", "--fps", "30", "--seconds", "1"],
    ]);
    const p = await publisherRecord(publisher);
    assert.equal(p.status, "ok", p.reason ?? "");
    assert.match(
      p.stderr,
      /replaced the stale segment \/dev\/shm\/\S+ left by pid \d+, which is gone/,
    );
    assert.deepEqual(left(name), []);
  },
);

Deno.test("shm stream: a segment that is not a stream is refused in one line, kept", async () => {
  const name = freshName();
  const platform = await sharedMemoryPlatform();
  const segment = platform.create(name, 4096)!;
  new Uint8Array(segment.buffer).fill(7);
  segment.close();
  try {
    for (const task of ["shm:pub", "shm:sub"]) {
      const run = await runClient(task, ["--endpoint", `shm://${name}`, ...SMALL]);
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
      assert.match(run.stderr, /is not a framebench segment/);
    }
    assert.deepEqual(left(name), [name]);
  } finally {
    platform.unlink(name);
  }
});

Deno.test("shm stream: bad --slots is one line, exit 2", async () => {
  const run = await runClient("shm:pub", ["--endpoint", `shm://${freshName()}`, "--slots", "1"]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr.trim(), /^shm:pub: --slots must be a whole number from 2 to \d+, got 1/);
});
