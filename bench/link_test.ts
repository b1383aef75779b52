// Shaped links: the namespaces and veth pairs are built, shaped, removed, and
// nothing is left by a stale run or a Ctrl-C. Needs root and iproute2: skipped
// with a message otherwise.
import assert from "node:assert/strict";
import {
  buildLinks,
  linkMissing,
  linkStreamCells,
  listNamespaces,
  namespaceNames,
  parseLinks,
  removeStaleNamespaces,
  wireFps,
} from "./link.ts";
import { STREAM_CELLS } from "./stream_cells.ts";
import { UsageError } from "../common/flags.ts";
import { ROOT } from "../testing/processes.ts";
import { DENO, Terminal } from "../testing/terminal.ts";

const missing = await linkMissing();
if (missing) console.warn(`link_test: ${missing}: skipping the namespace tests`);
const ignore = missing !== undefined;

function output(program: string, args: string[]): string {
  const out = new Deno.Command(program, { args, stderr: "piped" }).outputSync();
  return new TextDecoder().decode(out.stdout);
}

/** A pid no process has: one of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

Deno.test("parseLinks reads tc rates and refuses anything else in one line", () => {
  assert.deepEqual(parseLinks("1gbit, 100Mbit,500kbit"), [
    { name: "1gbit", bitsPerSecond: 1e9 },
    { name: "100mbit", bitsPerSecond: 1e8 },
    { name: "500kbit", bitsPerSecond: 5e5 },
  ]);
  for (const bad of ["", "fast", "1gb", "0gbit", "1gbit,1gbit", "-1mbit"]) {
    assert.throws(() => parseLinks(bad), UsageError, bad);
  }
  assert.equal(wireFps(1e9, 6_220_800).toFixed(1), "20.1");
});

Deno.test({
  name:
    "buildLinks: two namespaces, a veth pair per rate, addressed and shaped both ways; remove() removes them",
  ignore,
  async fn() {
    const notes: string[] = [];
    const network = await buildLinks(parseLinks("1gbit,100mbit"), {
      progress: (l) => notes.push(l),
    });
    const { server, client } = namespaceNames();
    try {
      assert.deepEqual(network.namespaces, { server, client });
      const names = await listNamespaces();
      assert.ok(names.includes(server) && names.includes(client), names.join(" "));
      for (const [i, rate] of [[0, "1Gbit"], [1, "100Mbit"]] as const) {
        const link = network.links[i];
        assert.match(output("ip", ["-n", server, "addr", "show", `fb${i}a`]), /state UP/);
        assert.match(
          output("ip", ["-n", server, "addr", "show", `fb${i}a`]),
          new RegExp(`inet ${link.server.host}/24`),
        );
        assert.match(
          output("ip", ["-n", client, "addr", "show", `fb${i}b`]),
          new RegExp(`inet ${link.client.host}/24`),
        );
        for (const [ns, dev] of [[server, `fb${i}a`], [client, `fb${i}b`]]) {
          assert.match(output("tc", ["-n", ns, "qdisc", "show", "dev", dev]), /tbf .*rate /);
          assert.match(output("tc", ["-n", ns, "qdisc", "show", "dev", dev]), new RegExp(rate));
        }
      }
      // Nothing in this machine's own network.
      assert.doesNotMatch(output("ip", ["link", "show"]), /fb\d+[ab]/);
      if (!network.netem) assert.ok(notes.some((n) => /netem/.test(n)), notes.join("\n"));
    } finally {
      await network.remove();
    }
    const after = await listNamespaces();
    assert.ok(!after.includes(server) && !after.includes(client), after.join(" "));
  },
});

Deno.test({
  name:
    "removeStaleNamespaces removes those of dead runs (and stops what ran in them), keeps live runs'",
  ignore,
  async fn() {
    const dead = namespaceNames(await deadPid());
    const alive = new Deno.Command("sleep", { args: ["60"] }).spawn();
    const live = namespaceNames(alive.pid);
    for (const name of [dead.server, dead.client, live.server]) {
      output("ip", ["netns", "add", name]);
    }
    const orphan = new Deno.Command("ip", { args: ["netns", "exec", dead.server, "sleep", "60"] })
      .spawn();
    try {
      await new Promise((r) => setTimeout(r, 200));
      const removed = await removeStaleNamespaces();
      assert.deepEqual(removed.sort(), [dead.server, dead.client].sort());
      const names = await listNamespaces();
      assert.ok(names.includes(live.server));
      assert.ok(!names.includes(dead.server) && !names.includes(dead.client));
      const status = await orphan.status;
      assert.equal(status.signal, "SIGTERM");
    } finally {
      output("ip", ["netns", "delete", live.server]);
      alive.kill();
      await alive.status;
      try {
        orphan.kill();
      } catch { /* ended */ }
    }
  },
});

Deno.test({
  name:
    "deno task bench --link: Ctrl-C mid-run leaves no namespace and no process; SIGKILL's are removed by the next run",
  ignore,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "framebench-link-test-" });
    const start = () =>
      new Deno.Command(Deno.execPath(), {
        args: [
          ...["run", "-A", "bench/bench.ts", "--link", "1gbit", "--only", "socket tcp"],
          ...["--seconds", "4", "--runs", "1", "--limits", "off", "--out", out],
        ],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    /** Waits until `pid`'s namespaces exist and its server runs in the servers' one. */
    const waitForServer = async (pid: number) => {
      const { server } = namespaceNames(pid);
      for (let i = 0; i < 300; i++) {
        const names = await listNamespaces();
        if (names.includes(server) && output("ip", ["netns", "pids", server]).trim()) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("the bench built no namespace or started no server in it");
    };
    try {
      const bench = start();
      await waitForServer(bench.pid);
      // The client runs across the link now (or starts to): the runner's last cell.
      await new Promise((r) => setTimeout(r, 1500));
      const pids = output("ip", ["netns", "pids", namespaceNames(bench.pid).server]).trim();
      bench.kill("SIGINT");
      const done = await bench.output();
      const stderr = new TextDecoder().decode(done.stderr);
      assert.equal(done.code, 130, stderr);
      const names = await listNamespaces();
      assert.ok(!names.some((n) => n.startsWith(`framebench-${bench.pid}-`)), names.join(" "));
      for (const pid of pids.split("\n").filter(Boolean)) {
        assert.equal(output("ps", ["-p", pid, "-o", "pid="]).trim(), "", `${pid} still runs`);
      }

      // SIGKILL: the namespaces stay until the next run removes them.
      const killed = start();
      await waitForServer(killed.pid);
      killed.kill("SIGKILL");
      await killed.output();
      assert.ok((await listNamespaces()).includes(namespaceNames(killed.pid).server));
      const removed = await removeStaleNamespaces();
      assert.ok(removed.includes(namespaceNames(killed.pid).server), removed.join(" "));
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "ctrl-c: deno task bench --link in a terminal: one Ctrl-C on a run across the link leaves no namespace",
  ignore: ignore || !Terminal.available(),
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "framebench-link-test-" });
    try {
      await using terminal = await Terminal.open(
        `${DENO} task bench --link 1gbit --only "socket tcp" --runs 1 --seconds 4 --warmup 0.2 --limits off --out ${out}`,
      );
      // The loopback cell finished; the one across the link is under way.
      await terminal.waitFor(/\[1\/2\] socket tcp 1080p run 1\/1: [\d.]+ fps/);
      const listed = await listNamespaces();
      const pids = output("pgrep", ["-f", `bench/bench.ts --link 1gbit .*${out}`]).trim();
      assert.equal(pids.split("\n").length, 1, `expected one bench process: ${pids}`);
      const ours = Object.values(namespaceNames(Number(pids)));
      assert.ok(ours.every((n) => listed.includes(n)), listed.join(" "));
      await new Promise((r) => setTimeout(r, 1500));
      await terminal.press("C-c");
      const code = await terminal.exitCode();
      const shown = await terminal.text();
      assert.equal(code, 130, shown);
      const left = await listNamespaces();
      assert.ok(!ours.some((n) => left.includes(n)), `${left.join(" ")}\n${shown}`);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test("a TCP stream cell crosses a link: publisher in the servers' namespace on its address, subscribers in the clients'", () => {
  const rate = parseLinks("1gbit")[0];
  const network = {
    namespaces: { server: "ns-a", client: "ns-b" },
    links: [{
      rate,
      server: { netns: "ns-a", host: "10.201.1.1" },
      client: { netns: "ns-b", host: "10.201.1.2" },
    }],
    netem: false,
    remove: () => Promise.resolve(),
  };
  const crossed = linkStreamCells(STREAM_CELLS, network);
  assert.deepEqual(crossed.map((c) => c.name), [
    "socket tcp over 1gbit",
    "zmq tcp over 1gbit",
    "grpc over 1gbit",
    "rest over 1gbit",
  ]);
  const [cell] = crossed;
  assert.equal(cell.publisher.netns, "ns-a");
  assert.equal(cell.subscriber.netns, "ns-b");
  for (const side of [cell.publisher, cell.subscriber]) {
    assert.match(side.args.join(" "), /--endpoint tcp:\/\/10\.201\.1\.1:\d+/);
  }
  assert.deepEqual(cell.link, { name: "1gbit", bitsPerSecond: 1e9 });
});
