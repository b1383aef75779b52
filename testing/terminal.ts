/**
 * A real terminal for tests: a command started in a tmux pane as a person
 * types it, keys pressed in that pane (Ctrl-C), and what the pane shows. A
 * terminal's Ctrl-C goes to the whole foreground process group (`deno task`
 * and the script under it alike), which a signal sent to one pid does not
 * reproduce.
 *
 * ```ts ignore
 * await using terminal = await Terminal.open(`${DENO} task zmq:server`);
 * await terminal.waitFor(/"event":"ready"/);
 * await terminal.press("C-c");
 * const code = await terminal.exitCode();
 * ```
 *
 * @module
 */

const EXIT_MARK = "framebench-exit=";

/**
 * The Deno that runs the tests, as one shell word, for the commands typed in
 * a pane: a machine may have no `deno` on its PATH (`npx -y deno@2.9.6 task
 * test` runs one from npm's cache).
 */
export const DENO = `'${Deno.execPath().replaceAll("'", `'\\''`)}'`;
let sessions = 0;

/** Options for {@linkcode Terminal.open}. */
export interface TerminalOptions {
  /** Working folder of the shell. Default: the project's root. */
  cwd?: string;
  /** Milliseconds that {@linkcode Terminal.waitFor} and {@linkcode Terminal.exitCode} wait. Default: 30000. */
  timeoutMs?: number;
}

/** A tmux pane running one shell command, on a tmux server of its own. */
export class Terminal implements AsyncDisposable {
  readonly #socket: string;
  readonly #timeoutMs: number;

  private constructor(socket: string, timeoutMs: number) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
  }

  /** Whether tmux is installed; the tests that need it skip without it. */
  static available(): boolean {
    try {
      return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
        .outputSync().success;
    } catch {
      return false;
    }
  }

  /**
   * Opens a 250-column pane with a plain bash and types `command` in it, as
   * a person would; the shell prints the command's exit code after it.
   */
  static async open(command: string, options: TerminalOptions = {}): Promise<Terminal> {
    const socket = `framebench-test-${Deno.pid}-${sessions++}`;
    const terminal = new Terminal(socket, options.timeoutMs ?? 30000);
    const cwd = options.cwd ?? new URL("../", import.meta.url).pathname;
    await terminal.#tmux(
      ["new-session", "-d", "-s", "t", "-x", "250", "-y", "50", "-c", cwd],
      ["bash", "--norc", "--noprofile"],
    );
    await terminal.#tmux(["send-keys", "-t", "t", `${command}; echo ${EXIT_MARK}$?`, "Enter"]);
    return terminal;
  }

  /** Presses a key in the pane, in tmux's names: `C-c` is Ctrl-C. */
  async press(key: string): Promise<void> {
    await this.#tmux(["send-keys", "-t", "t", key]);
  }

  /** Everything the pane shows, its scrollback included, lines joined. */
  async text(): Promise<string> {
    return await this.#tmux(["capture-pane", "-p", "-J", "-S", "-5000", "-t", "t"]);
  }

  /** Waits until the pane shows `pattern` (besides the typed command); returns what it shows. */
  async waitFor(pattern: RegExp): Promise<string> {
    const deadline = performance.now() + this.#timeoutMs;
    for (;;) {
      const text = await this.text();
      // Leave out the command line itself, as typed (and echoed) at the prompt.
      const shown = text.split("\n").filter((l) => !l.includes(`${EXIT_MARK}$?`)).join("\n");
      if (pattern.test(shown)) return shown;
      if (performance.now() > deadline) {
        throw new Error(
          `the terminal did not show ${pattern} within ${this.#timeoutMs} ms:\n${text}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits for the command to end; returns its exit code as the shell saw it. */
  async exitCode(): Promise<number> {
    const text = await this.waitFor(new RegExp(`${EXIT_MARK}\\d+`));
    return Number(text.match(new RegExp(`${EXIT_MARK}(\\d+)`))![1]);
  }

  /** Ends the pane, its shell and whatever still runs in it. */
  async close(): Promise<void> {
    await this.#tmux(["kill-server"]).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #tmux(args: string[], command: string[] = []): Promise<string> {
    const out = await new Deno.Command("tmux", {
      args: ["-L", this.#socket, "-f", "/dev/null", ...args, ...command],
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (!out.success) {
      throw new Error(`tmux ${args[0]}: ${new TextDecoder().decode(out.stderr).trim()}`);
    }
    return text;
  }
}
