// Faults across every transport (issue 8), table-driven over the runner's
// cells: one case set per distinct server setup, each a real server and
// client process. The promise under test: a benchmark never hangs, never
// lies, and never leaves anything behind.
import assert from "node:assert/strict";
import { type Cell, CELLS, RUN_TAG, serverGroups } from "./cells.ts";
import {
  type ClientRun,
  leftovers,
  residentMB,
  runClient,
  type StartOptions,
  startServer,
} from "../testing/processes.ts";
import { noise } from "../testing/noise.ts";

/** One cell per distinct server (variants sharing a server are covered once). */
const cases: Cell[] = serverGroups(CELLS.filter((c) => !c.reference)).map((group) =>
  group.cells[0]
);

const SMALL = ["--size", "480p", "--warmup", "0.2"];

/** A client's progress line: frames are going round (in warm-up or measured). */
const PROGRESS = /last round trip/;

/**
 * When a fault test signals a client (fixed delays, 300 ms and 1700 ms, were
 * at times still in its start-up on a loaded machine): at its start, before
 * it can have installed its handler; at its first progress line in a long
 * warm-up; at its first while measuring.
 */
const MOMENTS = [
  { when: "its start", args: [], line: undefined },
  { when: "the first warm-up line", args: ["--warmup", "30"], line: /warm-up, last round trip/ },
  { when: "the first progress line", args: [], line: PROGRESS },
] as const;

/** Runs `cell`'s client with small frames and `args`. */
function client(cell: Cell, args: string[], options: StartOptions = {}) {
  return runClient(cell.client.launch, [...cell.client.args, ...SMALL, ...args], options);
}

/**
 * Fails when names in /dev/shm or /tmp made for this test run's servers
 * (they carry {@linkcode RUN_TAG}) are there that were not `before`.
 */
function assertNothingNew(before: string[], what: string) {
  const added = leftovers(RUN_TAG).filter((n) => !before.includes(n));
  assert.deepEqual(added, [], `${what} left these behind`);
}

for (const cell of cases) {
  const server = cell.server!;

  Deno.test(`faults ${cell.name}: a client killed mid-frame does not stop the server`, async () => {
    const before = leftovers(RUN_TAG);
    const s = await startServer(server.launch, server.args);
    try {
      // Killed once its first progress line says frames are going round (a
      // fixed 1.5 s was at times still in start-up on a loaded machine).
      const killed = await client(cell, ["--seconds", "30"], {
        signalOnLine: { signal: "SIGKILL", line: PROGRESS },
      });
      assert.equal(killed.code, 137);
      const next = await client(cell, ["--frames", "20"]);
      assert.equal(next.code, 0, next.stderr);
      assert.equal(next.record?.errors, 0);
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
    assertNothingNew(before, "the server");
  });

  Deno.test(`faults ${cell.name}: a server killed mid-run is reported by the client within seconds`, async () => {
    const before = leftovers(RUN_TAG);
    const s = await startServer(server.launch, server.args);
    // Killed once the client's first progress line says frames are going round
    // (a fixed 1.5 s was at times before its first frame on a loaded machine).
    const going = Promise.withResolvers<void>();
    const run = client(cell, ["--seconds", "60", "--timeout", "2"], {
      onStderrLine: (line: string) => PROGRESS.test(line) && going.resolve(),
    });
    await Promise.race([going.promise, run]);
    const killedAt = performance.now();
    await s.stop("SIGKILL");
    const r = await run;
    const after = performance.now() - killedAt;
    assert.ok(after < 10000, `the client took ${after.toFixed(0)} ms to notice`);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.record?.status, "failed");
    assert.ok(r.record!.verified > 0, `it prints what it had measured: ${r.record!.reason}`);
    assert.equal(r.record!.errors, 0, "no frame was counted wrong");
    // A new server on the same endpoint starts (replacing what SIGKILL left) and cleans up.
    const again = await startServer(server.launch, server.args);
    assert.equal((await again.stop()).code, 0);
    assertNothingNew(before, "a killed server, once replaced,");
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    for (const { when, args, line } of MOMENTS) {
      Deno.test(`faults ${cell.name}: ${signal} at ${when} to client then server leaves nothing behind`, async () => {
        const before = leftovers(RUN_TAG);
        const s = await startServer(server.launch, server.args);
        let stopped = false;
        try {
          const r = await client(
            cell,
            [...args, "--seconds", "30"],
            line ? { signalOnLine: { signal, line } } : { signalAfter: { signal, ms: 0 } },
          );
          if (line || r.record) {
            // Past start-up the client reports what it measured and exits 130.
            assert.equal(r.code, 130, r.stderr);
            assert.equal(r.record?.status, "interrupted");
            assert.equal(r.record?.errors, 0);
          } else {
            // A signal during start-up, before the handler is installed, ends
            // the process by the signal's default action: nothing was opened yet.
            assert.equal(r.code, 128 + (signal === "SIGINT" ? 2 : 15), r.stderr);
          }
          const stop = await s.stop(signal);
          stopped = true;
          assert.equal(stop.code, 0, stop.stderr);
          assert.ok(stop.stopped, "the server printed its stopped line");
        } finally {
          if (!stopped) await s.stop("SIGKILL");
        }
        assertNothingNew(before, `${signal}`);
        // The endpoint is free again.
        const again = await startServer(server.launch, server.args);
        assert.equal((await again.stop()).code, 0);
      });
    }
  }

  Deno.test(`faults ${cell.name}: one Ctrl-C in a terminal (SIGINT twice, ms apart) stops the server cleanly`, async () => {
    const before = leftovers(RUN_TAG);
    const s = await startServer(server.launch, server.args);
    const r = await client(cell, ["--frames", "20"]);
    assert.equal(r.code, 0, r.stderr);
    // A terminal's Ctrl-C reaches the whole foreground process group: the
    // server gets SIGINT from the terminal and again from `deno task`, a few
    // ms later. That is one Ctrl-C: a clean stop, not a forced exit. (The
    // forced exit of a later, second Ctrl-C is tested in common/cli_test.ts,
    // and by a person's terminal in testing/terminal_test.ts.)
    s.child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 30));
    const stop = await s.stop("SIGINT");
    assert.equal(stop.code, 0, stop.stderr);
    assert.ok(stop.stopped, `no stopped line: ${stop.stdout}`);
    assertNothingNew(before, "a server stopped by one Ctrl-C in a terminal");
  });

  Deno.test(`faults ${cell.name}: four clients at once are all served, every frame verified`, async () => {
    const s = await startServer(server.launch, server.args);
    let runs: ClientRun[];
    let stop: Awaited<ReturnType<typeof s.stop>>;
    try {
      runs = await Promise.all(
        // 40 frames each however slow the transport is on a busy machine (the
        // default 5 s could end a slow run first, with fewer frames verified).
        [1, 2, 3, 4].map(() =>
          client(cell, ["--frames", "40", "--seconds", "50"], { timeoutMs: 60000 })
        ),
      );
    } finally {
      stop = await s.stop();
    }
    // Checked after the stop, not in a finally: a client's failure is what is reported.
    for (const r of runs) {
      assert.equal(r.code, 0, `client: ${r.stderr}\nserver: ${stop.stderr}`);
      assert.equal(r.record?.errors, 0);
      assert.ok(r.record!.verified >= 40);
    }
    assert.equal(stop.code, 0, stop.stderr);
    assert.ok(stop.stopped!.frames >= 160, JSON.stringify(stop.stopped));
  });
}

/** Where a cell's server listens for raw bytes (TCP port or unix socket), if it does. */
function rawEndpoint(cell: Cell): Deno.ConnectOptions | Deno.UnixConnectOptions | undefined {
  const args = cell.server!.args;
  const value = (flag: string) => args[args.indexOf(flag) + 1];
  if (args.includes("--port")) return { hostname: "127.0.0.1", port: Number(value("--port")) };
  const endpoint = args.includes("--endpoint") ? value("--endpoint") : "";
  const tcp = /^(?:tcp|http):\/\/([^:]+):(\d+)$/.exec(endpoint);
  if (tcp) return { hostname: tcp[1], port: Number(tcp[2]) };
  const unix = /^(?:ipc|unix):\/\/(.+)$/.exec(endpoint);
  if (unix) return { transport: "unix", path: unix[1] };
  return undefined; // shared memory: its own tests feed it wrong segments
}

const GARBAGE: [string, Uint8Array][] = [
  ["random bytes", noise(65536)],
  ["an HTTP request", new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n")],
  [
    "a TLS hello",
    Uint8Array.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]),
  ],
  ["a huge length prefix", Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])],
];

for (const cell of cases) {
  const endpoint = rawEndpoint(cell);
  if (!endpoint) continue;
  Deno.test(`faults ${cell.name}: garbage on the server's socket is dropped, the server goes on, memory stays`, async () => {
    const server = await startServer(cell.server!.launch, cell.server!.args);
    try {
      const warm = await client(cell, ["--frames", "20"]);
      assert.equal(warm.code, 0, warm.stderr);
      // Memory is compared between round 5 and round 25: what the allocator
      // keeps after the first connections is not a leak, growth after it is.
      let before: number | undefined;
      for (let round = 0; round < 25; round++) {
        if (round === 5) before = await residentMB(server.child.pid);
        for (const [, bytes] of GARBAGE) {
          const conn = await Deno.connect(endpoint as Deno.ConnectOptions);
          try {
            await conn.write(bytes);
          } catch { /* the server may already have dropped us */ }
          conn.close();
        }
      }
      const after = await residentMB(server.child.pid);
      assert.ok(before !== undefined && after !== undefined, "the server is still running");
      assert.ok(after - before < 32, `server memory grew from ${before} to ${after} MB`);
      const next = await client(cell, ["--frames", "20"]);
      assert.equal(next.code, 0, next.stderr);
      assert.equal(next.record?.errors, 0);
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });
}
