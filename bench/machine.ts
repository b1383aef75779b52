/**
 * What the report says about the machine and the software it ran on.
 *
 * @module
 */

import { PINNED_VERSIONS } from "../common/record.ts";

/** The machine and software of a benchmark run. */
export interface MachineInfo {
  /** CPU model name. */
  cpu: string;
  /** Logical cores. */
  cores: number;
  /** Total memory in GiB. */
  memoryGiB: number;
  /** OS and kernel release. */
  kernel: string;
  /** Deno, V8 and TypeScript versions. */
  deno: string;
  v8: string;
  typescript: string;
  /** Each npm package as pinned in deno.json. */
  packages: Record<string, string>;
  /** When the run started (ISO 8601, UTC). */
  date: string;
  /** The exact command. */
  command: string;
}

async function cpuModel(): Promise<string> {
  try {
    // Deno asks for --allow-all to read /proc directly; `cat` only needs --allow-run.
    const { stdout } = await new Deno.Command("cat", { args: ["/proc/cpuinfo"], stderr: "null" })
      .output();
    const info = new TextDecoder().decode(stdout);
    return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Reads the machine's description; `command` is how the run was started. */
export async function machineInfo(command: string): Promise<MachineInfo> {
  let memoryGiB = 0;
  let kernel: string = Deno.build.os;
  try {
    memoryGiB = Math.round(Deno.systemMemoryInfo().total / 2 ** 30);
    kernel = `${Deno.build.os} ${Deno.osRelease()}`;
  } catch { /* no --allow-sys: leave them out */ }
  return {
    cpu: await cpuModel(),
    cores: navigator.hardwareConcurrency,
    memoryGiB,
    kernel,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    packages: { ...PINNED_VERSIONS },
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    command,
  };
}
