// The code a reader copies: every TypeScript block in the READMEs and every
// example in the modules' JSDoc type-checks against the code as it is.
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url).pathname;

function tracked(pattern: string): string[] {
  const out = new Deno.Command("git", {
    args: ["ls-files", "--cached", "--others", "--exclude-standard", pattern],
    cwd: root,
  }).outputSync();
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
}

async function check(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", ...args],
    cwd: root,
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stderr);
  return out.success ? "" : text || `deno check exited with ${out.code}`;
}

Deno.test("docs: the TypeScript blocks of every README type-check", async () => {
  const readmes = tracked("*.md");
  assert.ok(readmes.includes("README.md"), "git ls-files found no README.md");
  assert.equal(await check(["--doc-only", ...readmes]), "");
});

Deno.test("docs: the examples in every module's JSDoc type-check", async () => {
  const modules = tracked("*.ts").filter((f) => !f.endsWith("_test.ts"));
  assert.equal(await check(["--doc", ...modules]), "");
});
