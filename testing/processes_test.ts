import assert from "node:assert/strict";
import { lines, spawn } from "./processes.ts";

const processes = new URL("./processes.ts", import.meta.url).href;
const fakeServer = new URL("./testdata/fake_server.ts", import.meta.url).pathname;

function running(pid: number): boolean {
  return new Deno.Command("ps", { args: ["-p", String(pid)], stdout: "null" }).outputSync()
    .success;
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`processes: ${signal} to the runner alone stops its servers before it exits`, async () => {
    // A runner in miniature: a server started, then the runner is signalled
    // (as by `kill` or a CI timeout: the server does not get the signal).
    const code = `
      import { childrenExited, startServer, stopChildrenOnSignal } from "${processes}";
      stopChildrenOnSignal("runner").addEventListener("abort", async () => {
        await childrenExited();
        Deno.exit(130);
      });
      const server = await startServer({ deno: ["run", "${fakeServer}"] });
      console.log(server.child.pid);
      setInterval(() => {}, 1000);
    `;
    const runner = spawn({ deno: ["eval", "--quiet", code] });
    const out = lines(runner.stdout);
    const serverPid = Number((await out.next()).value);
    assert.ok(serverPid > 0 && running(serverPid));
    runner.kill(signal);
    const status = await runner.status;
    await out.return(undefined);
    const stderr = await new Response(runner.stderr).text();
    assert.equal(status.code, 130, stderr);
    assert.match(stderr, /runner: interrupted: stopping 1 child process/);
    assert.equal(running(serverPid), false, "the server was stopped");
  });
}
