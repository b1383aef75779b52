// The stream mode over ZeroMQ: real publishers and subscribers as processes,
// started from the tasks a user runs (deno.json), over ipc:// and tcp://.
import assert from "node:assert/strict";
import type { PublisherRecord, SubscriberRecord } from "../common/stream_record.ts";
import {
  type ClientRun,
  freePort,
  lines,
  pathExists,
  runClient,
  type ServerProcess,
  startServer,
  taskArgs,
} from "../testing/processes.ts";

const SMALL = ["--size", "480p"];

async function tempEndpoint(name: string): Promise<{ dir: string; path: string; url: string }> {
  const dir = await Deno.makeTempDir({ prefix: "fb-zmq-stream" });
  const path = `${dir}/${name}.sock`;
  return { dir, path, url: `ipc://${path}` };
}

/** Waits for a publisher that stops by itself (`--seconds`) and reads its record. */
async function published(
  publisher: ServerProcess,
): Promise<{ code: number; record: PublisherRecord; stderr: string }> {
  await publisher.child.status;
  const { code, stdout, stderr } = await publisher.stop();
  const line = stdout.split("\n").find((l) => l.includes('"role":"publisher"'));
  assert.ok(line, `no publisher record: ${stdout} ${stderr}`);
  return { code, record: JSON.parse(line), stderr };
}

function subscriberRecord(run: ClientRun): SubscriberRecord {
  assert.ok(run.record, `no subscriber record (exit ${run.code}): ${run.stderr}`);
  return run.record as unknown as SubscriberRecord;
}

/** Every frame a subscriber got is verified, and what it missed is counted. */
function assertAllAccounted(s: SubscriberRecord, publishedByPublisher?: number): void {
  assert.equal(s.errors, 0, s.firstError ?? "");
  assert.equal(s.verified, s.frames);
  assert.equal(s.frames + s.dropped, s.published);
  if (publishedByPublisher !== undefined) assert.equal(s.published, publishedByPublisher);
}

Deno.test("zmq stream: two subscribers over ipc verify every frame and get the end; the socket file is removed", async () => {
  const at = await tempEndpoint("two");
  const publisher = await startServer("zmq:pub", [
    "--endpoint",
    at.url,
    ...SMALL,
    "--fps",
    "30",
    "--seconds",
    "2",
    "--subscribers",
    "2",
    "--json",
  ]);
  try {
    assert.equal((await Deno.lstat(at.path)).mode! & 0o777, 0o600);
    const runs = await Promise.all(
      [1, 2].map(() => runClient("zmq:sub", ["--endpoint", at.url, ...SMALL])),
    );
    const pub = await published(publisher);
    assert.equal(pub.code, 0, pub.stderr);
    assert.equal(pub.record.status, "ok");
    assert.equal(pub.record.overflow, "drop");
    assert.equal(pub.record.subscribers, 2);
    assert.equal(pub.record.left, 0);
    assert.ok(pub.record.published > 0);
    for (const run of runs) {
      assert.equal(run.code, 0, run.stderr);
      const s = subscriberRecord(run);
      assert.equal(s.status, "ok");
      assert.equal(s.transport, "zmq");
      // Both subscribed before the first frame: everything published is theirs.
      assertAllAccounted(s, pub.record.published);
      assert.ok(s.frames > 0);
    }
    assert.equal(await pathExists(at.path), false, "socket file removed");
  } finally {
    await publisher.stop();
    await Deno.remove(at.dir, { recursive: true });
  }
});

Deno.test("zmq stream: over tcp", async () => {
  const url = `tcp://127.0.0.1:${freePort()}`;
  const publisher = await startServer("zmq:pub", [
    "--endpoint",
    url,
    ...SMALL,
    "--seconds",
    "1",
    "--subscribers",
    "1",
    "--json",
  ]);
  try {
    const run = await runClient("zmq:sub", ["--endpoint", url, ...SMALL]);
    const pub = await published(publisher);
    assert.equal(pub.code, 0, pub.stderr);
    assert.equal(run.code, 0, run.stderr);
    assertAllAccounted(subscriberRecord(run), pub.record.published);
  } finally {
    await publisher.stop();
  }
});

for (const fps of ["30", "max"]) {
  Deno.test(`zmq stream: a slow subscriber under drop at --fps ${fps} misses frames, none wrong, gets the end, and does not hold the fast one back`, async () => {
    const at = await tempEndpoint("slow");
    const publisher = await startServer("zmq:pub", [
      "--endpoint",
      at.url,
      ...SMALL,
      "--fps",
      fps,
      "--seconds",
      "4",
      "--subscribers",
      "2",
      "--json",
    ]);
    try {
      const [fast, slow] = await Promise.all([
        runClient("zmq:sub", ["--endpoint", at.url, ...SMALL]),
        runClient("zmq:sub", ["--endpoint", at.url, ...SMALL, "--slow", "200"]),
      ]);
      const pub = await published(publisher);
      assert.equal(pub.code, 0, pub.stderr);
      assert.equal(slow.code, 0, slow.stderr);
      assert.equal(fast.code, 0, fast.stderr);
      const s = subscriberRecord(slow);
      const f = subscriberRecord(fast);
      // Queued frames outlive the source's pool: the slow one would see them restamped.
      assertAllAccounted(s, pub.record.published);
      assertAllAccounted(f, pub.record.published);
      assert.ok(s.dropped > 0, "the slow subscriber missed frames");
      const counts = `fast ${f.frames}, slow ${s.frames} of ${pub.record.published}`;
      // The slow one does not set the pace (it would under block: both would get every frame) ...
      assert.ok(f.frames > 2 * s.frames, counts);
      // ... and at a set rate, the fast one gets most frames (at max, a frame waits at most 20 ms
      // for a full queue: on a busy machine the fast one misses some too).
      if (fps !== "max") assert.ok(f.frames >= pub.record.published / 2, counts);
    } finally {
      await publisher.stop();
      await Deno.remove(at.dir, { recursive: true });
    }
  });
}

/** A subscriber started here, with a promise of its first progress line (it has frames). */
interface WatchedSubscriber {
  child: Deno.ChildProcess;
  /** Resolves once it showed a progress line; rejects if it ended first. */
  hasFrames: Promise<void>;
  /** How it ended, with its record. */
  done: Promise<ClientRun>;
}

/**
 * Starts `deno task zmq:sub --json`: a test signals it or its publisher only
 * once it has frames (starting a process takes seconds on a busy machine).
 */
function watchedSubscriber(url: string, extra: string[] = []): WatchedSubscriber {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...taskArgs("zmq:sub"), "--endpoint", url, ...SMALL, ...extra, "--json"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new Response(child.stdout).text();
  const stderr: string[] = [];
  let shown: () => void = () => {};
  const hasFrames = new Promise<void>((resolve) => shown = resolve);
  const read = (async () => {
    for await (const line of lines(child.stderr)) {
      stderr.push(line);
      if (/zmq subscriber 640x480: .*errors/.test(line)) shown();
    }
  })();
  const done = (async () => {
    const status = await child.status;
    await read;
    const out = await stdout;
    let record: ClientRun["record"];
    try {
      record = JSON.parse(out.trim().split("\n").pop() ?? "");
    } catch { /* no record */ }
    const code = status.signal === "SIGKILL" ? 137 : status.signal === "SIGINT" ? 130 : status.code;
    return { code, stdout: out, stderr: stderr.join("\n"), record, timedOut: false };
  })();
  return {
    child,
    hasFrames: Promise.race([
      hasFrames,
      done.then((run) => {
        throw new Error(`the subscriber ended before it had frames: ${run.stderr}`);
      }),
    ]),
    done,
  };
}

Deno.test("zmq stream: a killed subscriber is noticed, the other goes on; a subscriber joining mid-stream starts at a whole frame", async () => {
  const at = await tempEndpoint("killed");
  const publisher = await startServer("zmq:pub", [
    "--endpoint",
    at.url,
    ...SMALL,
    "--seconds",
    "8",
    "--subscribers",
    "2",
    "--json",
  ]);
  try {
    const kept = runClient("zmq:sub", ["--endpoint", at.url, ...SMALL]);
    const killed = watchedSubscriber(at.url);
    await killed.hasFrames;
    killed.child.kill("SIGKILL");
    assert.equal((await killed.done).code, 137);
    // The publisher looks at its subscribers once a second: the kill is seen before the join.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const late = await runClient("zmq:sub", ["--endpoint", at.url, ...SMALL]);
    const pub = await published(publisher);
    assert.equal(pub.code, 0, pub.stderr);
    assert.equal(pub.record.left, 1, pub.stderr);
    assert.match(pub.stderr, /: 1 subscriber\n/);
    const k = await kept;
    assert.equal(k.code, 0, k.stderr);
    assertAllAccounted(subscriberRecord(k), pub.record.published);
    assert.equal(late.code, 0, late.stderr);
    const l = subscriberRecord(late);
    assertAllAccounted(l);
    assert.ok(l.frames > 0 && l.published < pub.record.published, JSON.stringify(l));
  } finally {
    await publisher.stop();
    await Deno.remove(at.dir, { recursive: true });
  }
});

Deno.test("zmq stream: a publisher that dies is reported at once; Ctrl-C on a publisher ends the stream and leaves nothing", async () => {
  const at = await tempEndpoint("dies");
  const killed = await startServer("zmq:pub", ["--endpoint", at.url, ...SMALL]);
  const orphan = watchedSubscriber(at.url, ["--timeout", "10"]);
  await orphan.hasFrames;
  const started = performance.now();
  await killed.stop("SIGKILL");
  const run = await orphan.done;
  assert.equal(run.code, 1, run.stderr);
  const s = subscriberRecord(run);
  assert.equal(s.status, "failed");
  assert.match(s.reason!, /closed the stream without ending it/);
  assert.ok(performance.now() - started < 9000, "reported before --timeout");

  // The stale file SIGKILL left is replaced; Ctrl-C ends the stream cleanly.
  const publisher = await startServer("zmq:pub", ["--endpoint", at.url, ...SMALL, "--json"]);
  try {
    const sub = watchedSubscriber(at.url);
    await sub.hasFrames;
    const stop = await publisher.stop("SIGINT");
    assert.equal(stop.code, 0, stop.stderr);
    const done = await sub.done;
    assert.equal(done.code, 0, done.stderr);
    assertAllAccounted(subscriberRecord(done));
    assert.equal(await pathExists(at.path), false, "socket file removed");
  } finally {
    await publisher.stop();
    await Deno.remove(at.dir, { recursive: true });
  }
});

Deno.test("zmq stream: Ctrl-C on a subscriber exits 130 and the publisher goes on", async () => {
  const at = await tempEndpoint("ctrlc");
  const publisher = await startServer("zmq:pub", ["--endpoint", at.url, ...SMALL, "--json"]);
  try {
    const sub = watchedSubscriber(at.url);
    await sub.hasFrames;
    sub.child.kill("SIGINT");
    const run = await sub.done;
    assert.equal(run.code, 130, run.stderr);
    assert.equal(subscriberRecord(run).status, "interrupted");
    const again = await runClient("zmq:sub", ["--endpoint", at.url, ...SMALL, "--seconds", "0.5"]);
    assert.equal(again.code, 0, again.stderr);
    assertAllAccounted(subscriberRecord(again));
  } finally {
    const stop = await publisher.stop("SIGINT");
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(await pathExists(at.path), false, "socket file removed");
    await Deno.remove(at.dir, { recursive: true });
  }
});

Deno.test("zmq stream: bad flags and a missing publisher are one line each", async () => {
  const at = await tempEndpoint("bad");
  try {
    for (
      const [task, args, code, pattern] of [
        ["zmq:pub", ["--overflow", "block"], 2, /--overflow must be drop for this transport/],
        ["zmq:pub", ["--endpoint", "unix:///tmp/x.sock"], 2, /endpoint/],
        ["zmq:sub", ["--endpoint", at.url], 1, /cannot subscribe at .*zmq:pub/],
      ] as const
    ) {
      const run = await runClient(task, [...args]);
      assert.equal(run.code, code, run.stderr);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
      assert.match(run.stderr, pattern);
    }
    assert.deepEqual([...Deno.readDirSync(at.dir)], []);
  } finally {
    await Deno.remove(at.dir, { recursive: true });
  }
});

Deno.test("zmq stream: a second publisher on the same endpoint is refused in one line, the first goes on", async () => {
  const at = await tempEndpoint("busy");
  const tcp = `tcp://127.0.0.1:${freePort()}`;
  const first = await startServer("zmq:pub", ["--endpoint", at.url, ...SMALL]);
  const firstTcp = await startServer("zmq:pub", ["--endpoint", tcp, ...SMALL]);
  try {
    for (const url of [at.url, tcp]) {
      const second = await runClient("zmq:pub", ["--endpoint", url, ...SMALL]);
      assert.equal(second.code, 1, second.stderr);
      assert.equal(second.stderr.trim().split("\n").length, 1, second.stderr);
      assert.match(second.stderr, /in use/);
    }
    const run = await runClient("zmq:sub", ["--endpoint", at.url, ...SMALL, "--seconds", "0.5"]);
    assert.equal(run.code, 0, run.stderr);
    assertAllAccounted(subscriberRecord(run));
  } finally {
    assert.equal((await first.stop()).code, 0);
    assert.equal((await firstTcp.stop()).code, 0);
    assert.equal(await pathExists(at.path), false, "socket file removed");
    await Deno.remove(at.dir, { recursive: true });
  }
});
