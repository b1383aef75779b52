// The SDL window under Xvfb: a real window, a screenshot of the X screen, and
// a check that it shows the test pattern, not black. Skips (and says how to
// enable it) where Xvfb, ImageMagick's `import` or the SDL binding is missing.
import assert from "node:assert/strict";
import { pathExists, ROOT, taskArgs } from "../testing/processes.ts";
import { sdlPackageDir } from "./setup_display.ts";

const missing = [
  await pathExists("/usr/bin/Xvfb") ? "" : "Xvfb (apt-get install xvfb)",
  await pathExists("/usr/bin/import") ? "" : "ImageMagick's import (apt-get install imagemagick)",
  await pathExists(`${sdlPackageDir()}/dist/sdl.node`)
    ? ""
    : "the SDL binding (apt-get install libsdl2-dev; deno task setup:display)",
].filter(Boolean);
if (missing.length > 0) {
  console.error(`window tests skipped: they need ${missing.join(", ")}`);
}

Deno.test({
  name: "display: the SDL window shows the frames (Xvfb screenshot)",
  ignore: missing.length > 0,
  async fn() {
    const display = `:${200 + (Deno.pid % 500)}`;
    const xvfb = new Deno.Command("Xvfb", {
      args: [display, "-screen", "0", "800x600x24", "-nolisten", "tcp"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    let client: Deno.ChildProcess | undefined;
    try {
      // Xvfb is ready when a client can query the screen.
      for (let i = 0; i < 50; i++) {
        const probe = await new Deno.Command("xdpyinfo", {
          args: ["-display", display],
          stdout: "null",
          stderr: "null",
        })
          .output().catch(() => ({ success: false }));
        if (probe.success) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      client = new Deno.Command(Deno.execPath(), {
        args: [
          ...taskArgs("baseline"),
          "--display",
          "--size",
          "640x480",
          "--seconds",
          "4",
          "--warmup",
          "0",
        ],
        cwd: ROOT,
        env: { DISPLAY: display, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      await new Promise((r) => setTimeout(r, 2500));
      const shot = await new Deno.Command("import", {
        args: ["-display", display, "-window", "root", "-depth", "8", "rgb:-"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(shot.success, new TextDecoder().decode(shot.stderr));
      const rgb = shot.stdout;
      assert.equal(rgb.length, 800 * 600 * 3);
      // The 640x480 window sits on a black root window: count the pattern's
      // bright saturated colours (its bars) across the screenshot.
      let yellow = 0, cyan = 0, magenta = 0;
      for (let i = 0; i < rgb.length; i += 3) {
        const [r, g, b] = [rgb[i], rgb[i + 1], rgb[i + 2]];
        if (r > 200 && g > 200 && b < 50) yellow++;
        if (r < 50 && g > 200 && b > 200) cyan++;
        if (r > 200 && g < 50 && b > 200) magenta++;
      }
      const bar = (640 / 8) * (480 * 3 / 4);
      for (
        const [name, count] of [["yellow", yellow], ["cyan", cyan], ["magenta", magenta]] as const
      ) {
        assert.ok(count > bar * 0.8, `${name} bar visible: ${count} pixels, expected about ${bar}`);
      }
      const out = await client.output();
      client = undefined;
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    } finally {
      if (client) {
        client.kill("SIGKILL");
        await client.output();
      }
      xvfb.kill("SIGTERM");
      await xvfb.status;
    }
  },
});
