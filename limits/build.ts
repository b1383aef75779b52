/**
 * Builds the limits program (`limits.c`, beside this module) with the
 * system's C compiler on first use, into a cache folder, as
 * `limits-<hash>`: the hash covers the source and the compiler flags, so an
 * edited source gets a build of its own and a stale build is never run.
 * Builds are atomic (compiled to a temporary name, then renamed), so several
 * runs at once, from one checkout or several, are safe.
 *
 * @module
 */

/** The program's C source. */
export const LIMITS_SOURCE: string = new URL("./limits.c", import.meta.url).pathname;

/**
 * The compiler flags: optimized for the CPU it is built on (`-march=native`:
 * the cached build is for this machine), with every common warning.
 */
export const LIMITS_CFLAGS: readonly string[] = ["-O3", "-march=native", "-Wall", "-Wextra"];

/** The Debian packages that provide a C compiler, for the message when none is found. */
const INSTALL_HINT = "Debian: apt-get install gcc, or build-essential";

/** No C compiler could be started. */
export class NoCompilerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoCompilerError";
  }
}

/** The compiler ran and failed; the message is its first error line. */
export class LimitsBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LimitsBuildError";
  }
}

/** Options for {@linkcode buildLimits}. */
export interface BuildOptions {
  /**
   * The C compiler: a program, optionally followed by arguments
   * (`"ccache gcc"`). Default: `$CC` when set, else `cc`, else `gcc`.
   */
  compiler?: string;
  /**
   * Where builds are kept. Default: `$XDG_CACHE_HOME/framebench`, else
   * `$HOME/.cache/framebench`.
   */
  cacheDir?: string;
  /** The C source. Default: {@linkcode LIMITS_SOURCE}. */
  source?: string;
  /** Called with one line after a build (not when the cache had it). Default: nothing. */
  progress?: (line: string) => void;
}

/** A build of the limits program. */
export interface LimitsBuild {
  /** The program. */
  path: string;
  /** Whether it was built by this call (false: it was in the cache). */
  built: boolean;
  /** What the compiler printed (warnings); empty when it was in the cache or said nothing. */
  warnings: string;
}

/** The default cache folder: `$XDG_CACHE_HOME/framebench` or `$HOME/.cache/framebench`. */
export function defaultCacheDir(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/framebench`;
  const home = Deno.env.get("HOME");
  if (home) return `${home}/.cache/framebench`;
  throw new Error("no cache folder for the limits program: set XDG_CACHE_HOME or HOME");
}

/** The build's name: `limits-` and 16 hex digits of SHA-256 over the source and the flags. */
export async function buildName(source: Uint8Array): Promise<string> {
  const flags = new TextEncoder().encode(`\0${LIMITS_CFLAGS.join(" ")}`);
  const bytes = new Uint8Array(source.length + flags.length);
  bytes.set(source);
  bytes.set(flags, source.length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `limits-${hex}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** The compilers to try, in order, each as program and leading arguments. */
function compilers(option: string | undefined): string[][] {
  const given = option ?? Deno.env.get("CC");
  const list = given?.trim() ? [given] : ["cc", "gcc"];
  return list.map((c) => c.trim().split(/\s+/));
}

/**
 * Returns the build of the limits program for the current source, building it
 * first if the cache has none. Throws {@linkcode NoCompilerError} when no
 * compiler can be started and {@linkcode LimitsBuildError} when the build
 * fails, each with a one-line message.
 */
export async function buildLimits(options: BuildOptions = {}): Promise<LimitsBuild> {
  const source = options.source ?? LIMITS_SOURCE;
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const path = `${cacheDir}/${await buildName(await Deno.readFile(source))}`;
  if (await exists(path)) return { path, built: false, warnings: "" };
  await Deno.mkdir(cacheDir, { recursive: true });
  const temporary = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const tried: string[] = [];
  try {
    for (const [program, ...leading] of compilers(options.compiler)) {
      tried.push(program);
      let out: Deno.CommandOutput;
      try {
        out = await new Deno.Command(program, {
          args: [...leading, ...LIMITS_CFLAGS, "-o", temporary, source],
          stdin: "null",
        }).output();
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) continue;
        throw error;
      }
      const said = new TextDecoder().decode(out.stderr).trim();
      if (!out.success) {
        const lines = said.split("\n");
        const first = lines.find((l) => /\berror\b/.test(l)) ?? lines[0] ?? `exit code ${out.code}`;
        throw new LimitsBuildError(`build of ${source} with ${program} failed: ${first.trim()}`);
      }
      await Deno.rename(temporary, path);
      options.progress?.(`limits: built ${source} with ${program} into ${path} (first use)`);
      return { path, built: true, warnings: said };
    }
  } finally {
    await Deno.remove(temporary).catch(() => {});
  }
  throw new NoCompilerError(
    `no C compiler found (tried ${
      tried.join(", ")
    }) to build the limits program: install one (${INSTALL_HINT})`,
  );
}
