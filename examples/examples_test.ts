// The examples run as a reader runs them, with the permissions their
// shebangs give, and say what they promise.
import assert from "node:assert/strict";

async function run(script: string, args: string[]) {
  const path = new URL(script, import.meta.url).pathname;
  const shebang = Deno.readTextFileSync(path).split("\n")[0];
  const permissions = shebang.split(" ").filter((word) => word.startsWith("--allow-"));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, path, ...args],
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("examples/worker_transport.ts measures frames to a worker and back, every one verified", async () => {
  const r = await run("worker_transport.ts", ["--size", "480p", "--seconds", "0.3"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /worker default 640x480 rgb24 over worker:\/\/echo: ok/);
  assert.match(r.stdout, /verified [1-9]\d*, errors 0/);
});

Deno.test("examples/size_sweep.ts prints a row per size from a real socket server", async () => {
  const r = await run("size_sweep.ts", ["--sizes", "480p,64x48", "--seconds", "0.3"]);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split("\n");
  assert.equal(rows.length, 3, r.stdout);
  assert.match(rows[1], /^640x480\s+0\.92\s+[\d.]+\s+\d+\s+[\d.]+\s+[\d.]+\s+[1-9]\d*\s+0$/);
  assert.match(rows[2], /^64x48\s+0\.01\s/);
});
