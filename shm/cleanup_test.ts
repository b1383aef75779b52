// A process that dies of an uncaught error or an unhandled rejection still
// removes the shared-memory names it registered.
import assert from "node:assert/strict";

function exists(name: string): boolean {
  const out = new Deno.Command("ls", { args: ["-1", "/dev/shm"] }).outputSync();
  return new TextDecoder().decode(out.stdout).split("\n").includes(name);
}

const module = new URL("./", import.meta.url).href;

for (
  const [how, crash] of [
    ["an uncaught error", "setTimeout(() => { throw new Error('boom'); }, 10);"],
    ["an unhandled rejection", "Promise.reject(new Error('boom'));"],
    ["Deno.exit", "Deno.exit(3);"],
  ] as const
) {
  Deno.test(`cleanup: a segment's name is removed after ${how}`, async () => {
    const name = `fbcleanup-${Deno.pid}-${how.length}`;
    const code = `
      import { sharedMemoryPlatform } from "${module}platform.ts";
      import { atExit } from "${module}cleanup.ts";
      const platform = await sharedMemoryPlatform();
      platform.create("${name}", 4096);
      atExit(() => platform.unlink("${name}"));
      console.log("created");
      ${crash}
    `;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", code],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.notEqual(out.code, 0, "the process failed");
    assert.equal(new TextDecoder().decode(out.stdout).trim(), "created");
    assert.equal(exists(name), false, new TextDecoder().decode(out.stderr));
  });
}
