#!/usr/bin/env -S deno run --allow-read --allow-write --allow-env --allow-run
/**
 * Builds the native part of `@kmamal/sdl` against the system's SDL2, which
 * `--display` needs. Its own install script downloads a prebuilt binary from
 * GitHub; this builds it from source instead, with node-gyp and Debian's
 * libsdl2-dev.
 *
 *     apt-get install -y libsdl2-dev   # once, as root
 *     deno task setup:display
 *
 * @module
 */

import { errorLine, runMain } from "./cli.ts";

/** Where the SDL headers and library are looked for. */
export interface SetupDisplayOptions {
  /** SDL2 include folder. Default: `/usr/include/SDL2`. */
  include?: string;
  /** Folder holding libSDL2.so. Default: `/usr/lib/x86_64-linux-gnu` (or `SDL_LIB`). */
  lib?: string;
}

/** The folder of the installed @kmamal/sdl package. */
export function sdlPackageDir(): string {
  // The package's exports hide package.json: resolve its main module instead.
  const main = new URL(import.meta.resolve("@kmamal/sdl")).pathname;
  return main.slice(
    0,
    main.lastIndexOf("/node_modules/@kmamal/sdl/") + "/node_modules/@kmamal/sdl".length,
  );
}

async function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const { code } = await new Deno.Command(cmd, {
    args,
    cwd,
    env,
    stdout: "inherit",
    stderr: "inherit",
  })
    .output();
  if (code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed with exit code ${code}`);
}

/** Builds `dist/sdl.node` in the @kmamal/sdl package unless it is there already. */
export async function setupDisplay(options: SetupDisplayOptions = {}): Promise<string> {
  const include = options.include ?? Deno.env.get("SDL_INC") ?? "/usr/include/SDL2";
  const lib = options.lib ?? Deno.env.get("SDL_LIB") ?? "/usr/lib/x86_64-linux-gnu";
  const dir = sdlPackageDir();
  const target = `${dir}/dist/sdl.node`;
  try {
    await Deno.stat(target);
    return target;
  } catch { /* not built yet */ }
  try {
    await Deno.stat(`${include}/SDL.h`);
  } catch {
    throw new Error(
      `SDL2 headers not found in ${include}: install them (apt-get install -y libsdl2-dev)`,
    );
  }
  await run(
    "npm",
    ["install", "--no-save", "--ignore-scripts", "node-addon-api@8", "node-gyp@11"],
    dir,
  );
  await run("npx", ["node-gyp", "rebuild"], dir, { SDL_INC: include, SDL_LIB: lib });
  await Deno.mkdir(`${dir}/dist`, { recursive: true });
  await Deno.copyFile(`${dir}/build/Release/sdl.node`, target);
  return target;
}

if (import.meta.main) {
  runMain("setup:display", async () => {
    try {
      console.error(`SDL binding ready: ${await setupDisplay()}`);
    } catch (error) {
      throw new Error(errorLine(error));
    }
  });
}
