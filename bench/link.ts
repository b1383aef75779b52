/**
 * Shaped links on one machine: two network namespaces joined by one veth
 * pair per link rate, shaped with tc's token bucket (`tbf`) in both
 * directions, so that each TCP transport's server runs in one namespace and
 * its client in the other, across a link of 1 Gbit/s, say, instead of
 * loopback.
 *
 * | namespace                | what runs there | address on link i         |
 * | ------------------------ | --------------- | ------------------------- |
 * | `framebench-<pid>-a`     | the servers     | `10.201.<i+1>.1` (`fb<i>a`) |
 * | `framebench-<pid>-b`     | the clients     | `10.201.<i+1>.2` (`fb<i>b`) |
 *
 * Both ends of every veth are created inside the namespaces, so removing the
 * two namespaces removes everything; nothing is made in the machine's own
 * network. A run removes the namespaces of runs whose process is gone
 * (killed, crashed) when it starts, removes its own on exit, on Ctrl-C and on
 * a second Ctrl-C (see common/cleanup.ts). Needs root and iproute2 (`ip`,
 * `tc`).
 *
 * @module
 */

import { atExit } from "../common/cleanup.ts";
import { UsageError } from "../common/flags.ts";
import type { Cell } from "./cells.ts";
import type { StreamCell } from "./stream_cells.ts";
import { type Limit, measureLimits } from "./limits.ts";

/** One shaped link: its name as given and its rate. */
export interface LinkRate {
  /** As the user wrote it and tc takes it, lower case: `1gbit`. */
  name: string;
  /** Bits per second. */
  bitsPerSecond: number;
}

const UNITS: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9 };

/**
 * Parses `--link 1gbit,10gbit,100mbit` (a number and kbit, mbit or gbit, as
 * tc writes rates). Throws {@linkcode UsageError} for anything else.
 */
export function parseLinks(text: string): LinkRate[] {
  const names = text.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (names.length === 0) throw new UsageError(`--link takes rates such as 1gbit,100mbit`);
  const links = names.map((name) => {
    const match = /^(\d+(?:\.\d+)?)([kmg])bit$/.exec(name);
    const bitsPerSecond = match ? Number(match[1]) * UNITS[match[2]] : NaN;
    if (!(bitsPerSecond >= 1e3 && bitsPerSecond <= 1e12)) {
      throw new UsageError(
        `--link takes rates such as 1gbit,100mbit (kbit, mbit, gbit; 1kbit to 1000gbit), got "${name}"`,
      );
    }
    return { name, bitsPerSecond };
  });
  const twice = links.find((l, i) => links.findIndex((m) => m.name === l.name) !== i);
  if (twice) throw new UsageError(`--link names ${twice.name} twice`);
  if (links.length > 200) throw new UsageError(`--link takes at most 200 rates`);
  return links;
}

/** The fps a link allows for frames of `frameBytes` going one way: rate / 8 / bytes. */
export function wireFps(bitsPerSecond: number, frameBytes: number): number {
  return bitsPerSecond / 8 / frameBytes;
}

/** Where the two sides of a link stand. */
export interface LinkSides {
  /** The rate. */
  rate: LinkRate;
  /** The servers' namespace and address on this link. */
  server: { netns: string; host: string };
  /** The clients' namespace and address on this link. */
  client: { netns: string; host: string };
}

/** The prefix of every namespace a run makes: `framebench-<pid>-a` and `-b`. */
export const NETNS_PREFIX = "framebench-";

/** The namespaces of the run of process `pid`. */
export function namespaceNames(pid: number = Deno.pid): { server: string; client: string } {
  return { server: `${NETNS_PREFIX}${pid}-a`, client: `${NETNS_PREFIX}${pid}-b` };
}

const decoder = new TextDecoder();

/** Runs a command to its end; throws its first line of stderr when it fails. */
async function run(program: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    const why = decoder.decode(out.stderr).trim().split("\n")[0] || `exit code ${out.code}`;
    throw new Error(`${program} ${args.join(" ")}: ${why}`);
  }
  return decoder.decode(out.stdout);
}

/**
 * Says why shaped links cannot be built here (not root, no `ip` or `tc`), in
 * one line, or undefined when they can.
 */
export async function linkMissing(): Promise<string | undefined> {
  if (Deno.uid() !== 0) return "needs root (network namespaces and tc)";
  for (const program of ["ip", "tc"]) {
    try {
      await run(program, ["-V"]);
    } catch {
      return `no "${program}" (install iproute2: apt-get install iproute2)`;
    }
  }
  return undefined;
}

/** The namespaces on this machine, by name. */
export async function listNamespaces(): Promise<string[]> {
  const out = await run("ip", ["netns", "list"]);
  return out.split("\n").map((line) => line.split(" ")[0]).filter(Boolean);
}

/** Whether process `pid` runs, by `ps` (Deno asks for --allow-all to read /proc). */
function processAlive(pid: number): boolean {
  const out = new Deno.Command("ps", { args: ["-p", String(pid), "-o", "pid="], stderr: "null" })
    .outputSync();
  return new TextDecoder().decode(out.stdout).trim() !== "";
}

/**
 * Removes the namespaces left by runs whose process is gone (named
 * `framebench-<pid>-a|b`, `pid` no longer running; a run killed with SIGKILL
 * leaves them), after a SIGTERM to what still runs in them (a server
 * orphaned by that run); returns their names.
 */
export async function removeStaleNamespaces(): Promise<string[]> {
  const stale = (await listNamespaces()).filter((name) => {
    const match = /^framebench-(\d+)-[ab]$/.exec(name);
    return match !== null && Number(match[1]) !== Deno.pid && !processAlive(Number(match[1]));
  });
  for (const name of stale) {
    const pids = await run("ip", ["netns", "pids", name]).catch(() => "");
    for (const pid of pids.split("\n").filter(Boolean)) {
      try {
        Deno.kill(Number(pid), "SIGTERM");
      } catch { /* gone already */ }
    }
    await run("ip", ["netns", "delete", name]).catch(() => {});
  }
  return stale;
}

/** Whether tc's netem (delay, loss) can be used here: tried on the loopback of `netns`. */
async function hasNetem(netns: string): Promise<boolean> {
  try {
    await run("tc", ["-n", netns, "qdisc", "add", "dev", "lo", "root", "netem", "delay", "0ms"]);
    await run("tc", ["-n", netns, "qdisc", "del", "dev", "lo", "root"]);
    return true;
  } catch {
    return false;
  }
}

/** The two namespaces and their shaped links, built by {@linkcode buildLinks}. */
export interface LinkNetwork {
  /** The servers' and the clients' namespace. */
  namespaces: { server: string; client: string };
  /** Every link, in the order given. */
  links: LinkSides[];
  /** Whether delay and loss could be added (tc's netem exists here). */
  netem: boolean;
  /** Removes both namespaces, and so every link (also done at exit). */
  remove(): Promise<void>;
}

/** Options for {@linkcode buildLinks}. */
export interface LinkOptions {
  /** The pid in the namespaces' names. Default: this process's. */
  pid?: number;
  /** Progress and notice lines. Default: none. */
  progress?: (line: string) => void;
}

/**
 * tc's token bucket for `rate`: a burst of 2 ms at that rate (at least 64 KB,
 * so that a TSO/GSO packet of 64 KB passes whole) and a queue of 50 ms, enough
 * for TCP to fill the link without drops from the queue's limit alone.
 */
function tbfArgs(rate: LinkRate): string[] {
  const bytesPerS = rate.bitsPerSecond / 8;
  const burst = Math.max(65536, Math.round(bytesPerS * 0.002));
  return ["tbf", "rate", rate.name, "burst", String(burst), "latency", "50ms"];
}

/**
 * Builds the two namespaces and one shaped veth pair per rate. Removes stale
 * namespaces of dead runs first. Everything is removed when this process
 * exits, however it exits, except by SIGKILL (then by the next run).
 * Throws, having removed what it made, when a step fails.
 */
export async function buildLinks(
  rates: readonly LinkRate[],
  options: LinkOptions = {},
): Promise<LinkNetwork> {
  const progress = options.progress ?? (() => {});
  const stale = await removeStaleNamespaces();
  if (stale.length > 0) {
    progress(`link: removed namespaces of runs that are gone: ${stale.join(", ")}`);
  }
  const namespaces = namespaceNames(options.pid);
  const names = [namespaces.server, namespaces.client];
  // Registered before the first namespace exists: a second Ctrl-C or a crash
  // at any step still removes what was made.
  const removeSync = () => {
    for (const name of names) {
      new Deno.Command("ip", { args: ["netns", "delete", name], stdout: "null", stderr: "null" })
        .outputSync();
    }
  };
  const forget = atExit(removeSync);
  const remove = async () => {
    forget();
    for (const name of names) await run("ip", ["netns", "delete", name]).catch(() => {});
  };
  try {
    for (const name of names) {
      await run("ip", ["netns", "add", name]);
      await run("ip", ["-n", name, "link", "set", "lo", "up"]);
    }
    const links: LinkSides[] = [];
    for (const [i, rate] of rates.entries()) {
      const [a, b] = [`fb${i}a`, `fb${i}b`];
      const link: LinkSides = {
        rate,
        server: { netns: namespaces.server, host: `10.201.${i + 1}.1` },
        client: { netns: namespaces.client, host: `10.201.${i + 1}.2` },
      };
      await run("ip", [
        ...["link", "add", a, "netns", namespaces.server, "type", "veth"],
        ...["peer", "name", b, "netns", namespaces.client],
      ]);
      for (const [{ netns, host }, dev] of [[link.server, a], [link.client, b]] as const) {
        await run("ip", ["-n", netns, "addr", "add", `${host}/24`, "dev", dev]);
        await run("ip", ["-n", netns, "link", "set", dev, "up"]);
        // Shaped on the way out of each end: both directions at the rate.
        await run("tc", ["-n", netns, "qdisc", "add", "dev", dev, "root", ...tbfArgs(rate)]);
      }
      links.push(link);
    }
    const netem = await hasNetem(namespaces.server);
    if (!netem) {
      progress(
        "link: rate only, no added delay or loss (tc's netem is not on this machine: sch_netem)",
      );
    }
    return { namespaces, links, netem, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** The name of the C echo_tcp limit across a link, as its limits row and cells name it. */
export function linkLimitName(link: LinkRate): string {
  return `echo_tcp over ${link.name}`;
}

/**
 * Each TCP cell of `cells` (one with a `tcp` field) copied across each link,
 * named `zmq tcp over 1gbit`; `place` puts its processes on the two sides.
 */
function acrossLinks<C extends Cell | StreamCell>(
  cells: readonly C[],
  network: LinkNetwork,
  place: (cell: C, link: LinkSides) => Partial<C>,
): C[] {
  return network.links.flatMap((link) =>
    cells.filter((cell) => cell.tcp && !cell.link).map((cell): C => ({
      ...cell,
      name: `${cell.name} over ${link.rate.name}`,
      description:
        `${cell.description}; here across a ${link.rate.name} veth link (tc tbf) between two network namespaces instead of loopback`,
      link: { name: link.rate.name, bitsPerSecond: link.rate.bitsPerSecond },
      tcp: undefined,
      ...place(cell, link),
    }))
  );
}

/**
 * Each TCP cell moved across each link: its server in the servers' namespace
 * listening on its address there, its client in the clients' namespace
 * connecting to it; judged against the C echo across the same link.
 */
export function linkCells(cells: readonly Cell[], network: LinkNetwork): Cell[] {
  return acrossLinks(cells, network, (cell, link) => {
    const { server, client } = cell.tcp!.at(link.server.host, cell.tcp!.port);
    return {
      server: server && { ...server, netns: link.server.netns },
      client: { ...client, netns: link.client.netns },
      limit: linkLimitName(link.rate),
    };
  });
}

/**
 * Each TCP stream cell moved across each link: the publisher in the servers'
 * namespace on its address, the subscribers in the clients'. One way, a
 * stream can fill the wire (an echo crosses it twice per frame).
 */
export function linkStreamCells(cells: readonly StreamCell[], network: LinkNetwork): StreamCell[] {
  return acrossLinks(cells, network, (cell, link) => {
    const { publisher, subscriber } = cell.tcp!.at(link.server.host, cell.tcp!.port);
    return {
      publisher: { ...publisher, netns: link.server.netns },
      subscriber: { ...subscriber, netns: link.client.netns },
      limit: undefined,
    };
  });
}

/**
 * The environment that makes the limits program's `echo_tcp` run across a
 * link: the listening side in the servers' namespace on its address, the
 * connecting side in the clients' (see limits/README.md).
 */
export function linkLimitEnv(link: LinkSides): Record<string, string> {
  return {
    LIMITS_TCP_HOST: link.server.host,
    LIMITS_TCP_NETNS: `${link.server.netns},${link.client.netns}`,
  };
}

/**
 * The limits program's `echo_tcp` across each link, for every frame size: a
 * limit named {@linkcode linkLimitName} per link, which the link's cells are
 * judged against.
 */
export async function measureLinkLimits(
  program: string,
  network: LinkNetwork,
  frameBytes: readonly number[],
  secondsPerRep: number,
  progress: (line: string) => void = () => {},
): Promise<Limit[]> {
  const limits: Limit[] = [];
  for (const link of network.links) {
    const name = linkLimitName(link.rate);
    const measured = await measureLimits(
      program,
      ["echo_tcp"],
      frameBytes,
      secondsPerRep,
      (line) => progress(line.replace("echo_tcp", name)),
      linkLimitEnv(link),
    );
    limits.push(...measured.map((limit) => ({ ...limit, test: name })));
  }
  return limits;
}

/**
 * What `deno task bench --link RATES` does before its runs: builds the links,
 * or says in one line why it cannot (not root, no iproute2, a step failed)
 * and returns undefined, so that the rest of the bench runs without them.
 * Throws {@linkcode UsageError} for rates it cannot read.
 */
export async function prepareLinks(
  text: string,
  progress: (line: string) => void,
): Promise<LinkNetwork | undefined> {
  const rates = parseLinks(text);
  const missing = await linkMissing();
  if (missing) {
    progress(`bench: --link: ${missing}; the rest of the bench runs without shaped links`);
    return undefined;
  }
  try {
    return await buildLinks(rates, { progress });
  } catch (error) {
    const why = (error as Error).message.split("\n")[0];
    progress(
      `bench: --link: cannot build the links: ${why}; the rest of the bench runs without them`,
    );
    return undefined;
  }
}
