import assert from "node:assert/strict";
import { pathExists, spawn } from "../testing/processes.ts";
import { SAME_CTRL_C_MS } from "./cli.ts";

const cli = new URL("./cli.ts", import.meta.url).href;
const cleanup = new URL("./cleanup.ts", import.meta.url).href;

/**
 * A script whose stop never ends (a stuck server): it makes a file that it
 * registers for removal at exit, says "stopping" when asked to stop, and
 * keeps running.
 */
function startStuckScript(file: string) {
  const code = `
    import { shutdownSignal } from "${cli}";
    import { removeOnExit } from "${cleanup}";
    Deno.writeTextFileSync(${JSON.stringify(file)}, "");
    removeOnExit(${JSON.stringify(file)});
    shutdownSignal().addEventListener("abort", () => console.log("stopping"));
    console.log("ready");
    setInterval(() => {}, 1000);
  `;
  const child = spawn({ deno: ["eval", "--quiet", code] });
  const output = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  return {
    child,
    /** Resolves once the script printed `line`. */
    async said(line: string) {
      while (!text.split("\n").includes(line)) {
        const { value, done } = await output.read();
        if (done) throw new Error(`exited before saying "${line}": ${text}`);
        text += value;
      }
    },
    async exited() {
      const status = await child.status;
      await output.cancel();
      await child.stderr.cancel();
      return status;
    },
  };
}

const sleep = (ms: number) => new Promise<undefined>((r) => setTimeout(() => r(undefined), ms));

Deno.test("shutdownSignal(): SIGINT twice, ms apart (a terminal's one Ctrl-C under deno task), asks once", async () => {
  const file = Deno.makeTempFileSync({ prefix: "framebench-cli-" });
  const script = startStuckScript(file);
  try {
    await script.said("ready");
    script.child.kill("SIGINT");
    await sleep(20);
    script.child.kill("SIGINT");
    await script.said("stopping");
    // Still stopping (not forced out) well after both signals.
    const early = await Promise.race([script.child.status, sleep(SAME_CTRL_C_MS + 300)]);
    assert.equal(early, undefined, "the second SIGINT of one Ctrl-C forced the exit");
  } finally {
    script.child.kill("SIGKILL");
    await script.exited();
    Deno.removeSync(file);
  }
});

Deno.test("shutdownSignal(): a second Ctrl-C a moment later exits at once with 130, and clean-up still runs", async () => {
  const file = Deno.makeTempFileSync({ prefix: "framebench-cli-" });
  const script = startStuckScript(file);
  await script.said("ready");
  script.child.kill("SIGINT");
  await script.said("stopping");
  await sleep(SAME_CTRL_C_MS + 100);
  script.child.kill("SIGINT");
  const status = await Promise.race([script.exited(), sleep(5000)]);
  if (!status) script.child.kill("SIGKILL");
  assert.equal(status?.code, 130, "the second Ctrl-C did not force the exit");
  assert.equal(await pathExists(file), false, "the file registered with removeOnExit is left");
});
