// One Ctrl-C in a real terminal, as a person presses it: every server, a
// client and the runner started with `deno task` in a tmux pane. A terminal
// sends SIGINT to the whole foreground process group (`deno task` forwards
// its own too), which a signal sent to one pid does not reproduce.
import assert from "node:assert/strict";
import { CELLS, RUN_TAG, serverGroups } from "./cells.ts";
import { leftovers, startServer } from "../testing/processes.ts";
import { DENO, Terminal } from "../testing/terminal.ts";

const ignore = !Terminal.available();
if (ignore) {
  console.warn("ctrl_c_test: tmux not found: skipping (apt-get install tmux to run these tests)");
}

/** The pid of the `deno run` process whose command line holds `pattern`: what `deno task` started. */
function pidOf(pattern: string): number {
  const pids = processesWith(pattern).filter((l) => / run /.test(l)).map((l) =>
    Number(l.split(" ")[0])
  );
  assert.equal(pids.length, 1, `expected one process running ${pattern}: ${pids}`);
  return pids[0];
}

/** Processes whose command line holds `tag`, this test process's children or not. */
function processesWith(tag: string): string[] {
  const out = new Deno.Command("pgrep", { args: ["-a", "-f", "--", tag] }).outputSync();
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((l) => l && !l.includes("pgrep"));
}

for (const { server, cells } of serverGroups(CELLS)) {
  Deno.test({
    name: `ctrl-c: deno task ${server.launch} (${cells[0].name}) stops cleanly on one Ctrl-C`,
    ignore,
    async fn() {
      const before = leftovers(RUN_TAG);
      await using terminal = await Terminal.open(
        `${DENO} task ${server.launch} ${server.args.join(" ")}`,
      );
      await terminal.waitFor(/"event":"ready"/);
      await terminal.press("C-c");
      const code = await terminal.exitCode();
      const shown = await terminal.text();
      assert.equal(code, 0, shown);
      assert.match(shown, /"event":"stopped"/, "no stopped line");
      assert.deepEqual(leftovers(RUN_TAG).filter((n) => !before.includes(n)), [], shown);
      assert.deepEqual(processesWith(server.args.join(" ")), []);
    },
  });
}

const zmq = CELLS.find((c) => c.name === "zmq ipc")!;

Deno.test({
  name: "ctrl-c: deno task zmq:client prints its summary and exits 130 on one Ctrl-C",
  ignore,
  async fn() {
    const server = await startServer(zmq.server!.launch, zmq.server!.args);
    try {
      await using terminal = await Terminal.open(
        `${DENO} task zmq:client ${zmq.client.args.join(" ")} --size 480p --seconds 60`,
      );
      await terminal.waitFor(/zmq reqrep 640x480: [\d.]+ fps/);
      await terminal.press("C-c");
      const code = await terminal.exitCode();
      const shown = await terminal.text();
      assert.equal(code, 130, shown);
      assert.match(shown, /zmq reqrep 640x480 rgb24 .*: interrupted/);
      assert.match(shown, /verified \d+, errors 0/);
    } finally {
      const stop = await server.stop();
      assert.equal(stop.code, 0, stop.stderr);
    }
  },
});

for (const presses of [1, 2]) {
  Deno.test({
    name: presses === 1
      ? "ctrl-c: deno task bench stops its children, writes the report of what finished, exits 130"
      : "ctrl-c: a second Ctrl-C a moment later still stops deno task bench, nothing left behind",
    ignore,
    async fn() {
      const out = Deno.makeTempDirSync({ prefix: "framebench-ctrl-c-" });
      try {
        await using terminal = await Terminal.open(
          `${DENO} task bench --only "zmq ipc" --runs 3 --seconds 5 --warmup 0.2 --limits off --out ${out}`,
        );
        // The first run finished, the second is under way.
        await terminal.waitFor(/\[1\/3\] zmq ipc 1080p run 1\/3: [\d.]+ fps/);
        // What the runner names carry (bench/cells.ts RUN_TAG).
        const tag = `framebench-bench-${pidOf(`bench/bench.ts --only zmq ipc`)}-`;
        await new Promise((r) => setTimeout(r, 1000));
        await terminal.press("C-c");
        if (presses === 2) {
          await new Promise((r) => setTimeout(r, 700));
          await terminal.press("C-c");
        }
        const code = await terminal.exitCode();
        const shown = await terminal.text();
        assert.equal(code, 130, shown);
        if (presses === 1) {
          assert.match(shown, /bench: interrupted: the report holds the 1 finished run\(s\)/);
          const report = Deno.readTextFileSync(`${out}/report.md`);
          assert.match(report, /Interrupted\*\* \(Ctrl-C\) after 1 run/);
          assert.match(report, /zmq ipc/);
        }
        assert.deepEqual(leftovers(tag), []);
        assert.deepEqual(processesWith(tag), []);
        assert.deepEqual(processesWith(out), []);
      } finally {
        Deno.removeSync(out, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "ctrl-c: deno task soak prints its summary so far and exits 130, nothing left behind",
  ignore,
  async fn() {
    await using terminal = await Terminal.open(
      `${DENO} task soak --only "zmq ipc" --minutes 1 --slice 2 --size 480p`,
    );
    await terminal.waitFor(/zmq ipc\s+[\d.]+ fps/);
    const tag = `framebench-bench-${pidOf("bench/soak.ts --only zmq ipc --minutes 1")}-`;
    await terminal.press("C-c");
    const code = await terminal.exitCode();
    const shown = await terminal.text();
    assert.equal(code, 130, shown);
    assert.match(shown, /soak: ok, interrupted before its end/);
    assert.deepEqual(leftovers(tag), []);
    assert.deepEqual(processesWith(tag), []);
  },
});
