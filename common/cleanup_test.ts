// A process that exits, or dies of an uncaught error or an unhandled
// rejection, still removes the files it registered.
import assert from "node:assert/strict";
import { pathExists } from "../testing/processes.ts";
import { removeOnExit } from "./cleanup.ts";

const module = new URL("./cleanup.ts", import.meta.url).href;

for (
  const [how, crash] of [
    ["an uncaught error", "setTimeout(() => { throw new Error('boom'); }, 10);"],
    ["an unhandled rejection", "Promise.reject(new Error('boom'));"],
    ["Deno.exit", "Deno.exit(3);"],
  ] as const
) {
  Deno.test(`cleanup: a registered file is removed after ${how}`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "fbcleanup-" });
    const path = `${dir}/server.sock`;
    const code = `
      import { atExit, removeOnExit } from "${module}";
      Deno.writeTextFileSync("${path}", "");
      removeOnExit("${path}");
      atExit(() => console.log("ran"));
      console.log("created");
      ${crash}
    `;
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["eval", "--quiet", code],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.notEqual(out.code, 0, "the process failed");
      assert.equal(new TextDecoder().decode(out.stdout).trim(), "created\nran");
      assert.equal(await pathExists(path), false, new TextDecoder().decode(out.stderr));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("cleanup: removeOnExit's function removes the file now, once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fbcleanup-" });
  try {
    const path = `${dir}/server.sock`;
    await Deno.writeTextFile(path, "");
    const remove = removeOnExit(path);
    remove();
    assert.equal(await pathExists(path), false);
    remove(); // gone already: no error
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
