// deno task serve on one side, deno task bench --endpoints / --remote on the
// other: across two network namespaces when root and iproute2 are here (as two
// machines), else on loopback; and the bad input of --remote and --endpoints.
import assert from "node:assert/strict";
import { buildLinks, linkMissing, type LinkNetwork, parseLinks } from "./link.ts";
import { freePort, lines, spawn } from "../testing/processes.ts";
import type { BenchResults } from "./summary.ts";
import { DENO, Terminal } from "../testing/terminal.ts";

const BENCH = ["run", "-A", "bench/bench.ts"];
const SERVE = ["run", "--allow-run", "--allow-read", "--allow-env", "bench/serve.ts"];
const QUICK = ["--runs", "1", "--seconds", "0.5", "--warmup", "0.2", "--limits", "off"];

/** Runs deno with `args` (in network namespace `netns`, if given) to its end. */
async function deno(args: string[], netns?: string) {
  const child = spawn({ deno: args }, [], { netns });
  const [status, stdout, stderr] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return { code: status.code, stdout, stderr };
}

Deno.test("bench --endpoints: a file that does not parse, or is not there: one line, exit code 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "framebench-serve-test-" });
  try {
    const file = `${dir}/endpoints`;
    for (const text of ["not json\n", '{"event":"ready","endpoint":"tcp://127.0.0.1:1"}\n', "\n"]) {
      await Deno.writeTextFile(file, text);
      const run = await deno([...BENCH, "--endpoints", file, ...QUICK, "--out", `${dir}/r`]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr.trim(), /^bench: --endpoints: /);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    }
    const missing = await deno([...BENCH, "--endpoints", `${dir}/none`, ...QUICK]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /cannot read/);
    const both = await deno([...BENCH, "--remote", "127.0.0.1", "--endpoints", file, ...QUICK]);
    assert.equal(both.code, 2, both.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench --endpoints: a server that is not there: one line, exit code 1, no report", async () => {
  const dir = await Deno.makeTempDir({ prefix: "framebench-serve-test-" });
  try {
    const file = `${dir}/endpoints`;
    const line = {
      event: "ready",
      transport: "socket",
      endpoint: `tcp://127.0.0.1:${freePort()}`,
      pid: 1,
      cells: ["socket tcp"],
    };
    await Deno.writeTextFile(file, JSON.stringify(line) + "\n");
    const run = await deno([...BENCH, "--endpoints", file, ...QUICK, "--out", `${dir}/r`]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr.trim(), /^bench: no server at 127\.0\.0\.1:\d+ /);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    await assert.rejects(Deno.stat(`${dir}/r`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const across = await linkMissing() === undefined;
if (!across) console.warn("serve_test: not root or no iproute2: serve and bench on loopback");

Deno.test(
  `deno task serve and deno task bench --endpoints ${
    across ? "in two network namespaces" : "on loopback"
  }: the clients here run against the servers there; Ctrl-C stops every server`,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "framebench-serve-test-" });
    let network: LinkNetwork | undefined;
    try {
      network = across ? await buildLinks(parseLinks("10gbit")) : undefined;
      const link = network?.links[0];
      const host = link?.server.host ?? "127.0.0.1";
      const serve = spawn({ deno: SERVE }, link ? ["--host", host] : [], {
        netns: link?.server.netns,
      });
      const stderr = new Response(serve.stderr).text();
      const out = lines(serve.stdout);
      const ready: string[] = [];
      try {
        for (let next = await out.next(); !next.done; next = await out.next()) {
          ready.push(next.value);
          if (ready.length === 5) break;
        }
        assert.equal(ready.length, 5, `serve printed: ${ready.join("\n")}`);
        for (const line of ready) {
          const event = JSON.parse(line);
          assert.equal(event.event, "ready");
          assert.ok(event.endpoint.includes(`//${host}:`), line);
          assert.ok(event.cells.length > 0, line);
        }
        const file = `${dir}/endpoints`;
        await Deno.writeTextFile(file, ready.join("\n") + "\n");
        const run = await deno([
          ...BENCH,
          ...["--endpoints", file, "--only", "socket tcp,zmq tcp", ...QUICK, "--out", `${dir}/r`],
        ], link?.client.netns);
        assert.equal(run.code, 0, run.stderr);
        const results: BenchResults = JSON.parse(await Deno.readTextFile(`${dir}/r/results.json`));
        assert.deepEqual(results.cells.map((c) => c.name), [
          `zmq tcp at ${host}`,
          `socket tcp at ${host}`,
        ]);
        assert.ok(results.cells.every((c) => c.server === undefined));
        assert.ok(
          results.runs.every((r) =>
            r.mode !== "stream" && r.status === "ok" && r.record!.verified > 0
          ),
        );
        const report = await Deno.readTextFile(`${dir}/r/report.md`);
        assert.match(
          report,
          /its server at .* \(deno task serve there\), its client on this machine/,
        );
        assert.match(
          report,
          new RegExp(`^Where: the clients ran on this machine.* at ${host}:`, "m"),
        );
      } finally {
        serve.kill("SIGINT");
      }
      const status = await serve.status;
      const rest: string[] = [];
      for await (const line of out) rest.push(line);
      assert.equal(status.code, 0, await stderr);
      assert.equal(rest.filter((l) => l.includes('"event":"stopped"')).length, 5, rest.join("\n"));
      if (link) assert.match(await stderr, /beyond this machine/);
    } finally {
      await network?.remove();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test({
  name: "ctrl-c: deno task serve in a terminal stops every server on one Ctrl-C, exit code 0",
  ignore: !Terminal.available(),
  async fn() {
    await using terminal = await Terminal.open(`${DENO} task serve`);
    await terminal.waitFor(/"transport":"rest".*"cells"/);
    const shown = await terminal.text();
    const pids = [...shown.matchAll(/"pid":(\d+)/g)].map((m) => m[1]);
    assert.equal(pids.length, 5, shown);
    await terminal.press("C-c");
    const code = await terminal.exitCode();
    const after = await terminal.text();
    assert.equal(code, 0, after);
    assert.equal(after.match(/"event":"stopped"/g)?.length, 5, after);
    for (const pid of pids) {
      const ps = new Deno.Command("ps", { args: ["-p", pid, "-o", "pid="] }).outputSync();
      assert.equal(new TextDecoder().decode(ps.stdout).trim(), "", `server ${pid} still runs`);
    }
  },
});
