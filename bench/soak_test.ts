// The soak against stand-in transports (testing/testdata/fake_*.ts): cells that
// share a server setup share one server, which stays up for the whole soak.
import assert from "node:assert/strict";
import type { Cell } from "./cells.ts";
import { soak, soakSummary } from "./soak.ts";

const script = (
  name: string,
) => ["run", "--allow-env", new URL(`../testing/testdata/${name}`, import.meta.url).pathname];
const fake = (name: string, mode: string): Cell => ({
  name,
  transport: "fake",
  description: `fake ${mode}`,
  server: { launch: { deno: script("fake_server.ts") }, args: [] },
  client: { launch: { deno: script("fake_client.ts") }, args: ["--mode", mode] },
});

Deno.test("soak() keeps one server up while the clients take turns, and reports failures", async () => {
  const lines: string[] = [];
  const result = await soak({
    cells: [fake("good", "ok"), fake("failing", "fail")],
    minutes: 0.05,
    sliceSeconds: 1,
    log: (line) => lines.push(line),
  });
  assert.equal(result.servers.length, 1);
  assert.deepEqual(result.servers[0].cells, ["good", "failing"]);
  assert.equal(result.servers[0].exitCode, 0);
  const [good, failing] = result.cells;
  // One memory sample per client run.
  assert.equal(result.servers[0].memoryMB.length, good.fps.length + failing.failures.length);
  assert.ok(good.fps.length >= 1 && good.fps.every((f) => f === 100));
  assert.ok(failing.failures.length >= 1);
  assert.equal(failing.failures[0], "the server went away");
  assert.equal(result.ok, false);
  assert.match(lines.join("\n"), /failing\s+FAILED: the server went away/);
  const summary = soakSummary(result);
  assert.match(summary, /^good\s+\d+\s+100\.0 \(100\.0-100\.0\)\s+100 -> 100\s+0\s+0$/m);
  assert.match(summary, /soak: FAILED/);
});

Deno.test("soak() is ok when every run is", async () => {
  const result = await soak({ cells: [fake("good", "ok")], minutes: 0.01, log: () => {} });
  assert.equal(result.ok, true);
  assert.match(soakSummary(result), /soak: ok$/);
});

Deno.test("soak() refuses cells with no server", async () => {
  const baseline: Cell = { ...fake("alone", "ok"), server: undefined };
  await assert.rejects(soak({ cells: [baseline], log: () => {} }), /no.* server/);
});
