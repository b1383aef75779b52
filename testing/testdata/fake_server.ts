// A stand-in server for the runner's tests: a ready line, then a stopped line
// on SIGINT; with --mode silent it never says it is ready.
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: { mode: { type: "string", default: "ok" } },
});
if (values.mode === "ok") {
  console.log(
    JSON.stringify({ event: "ready", transport: "fake", endpoint: "fake://", pid: Deno.pid }),
  );
}
const keepAlive = setInterval(() => {}, 1000);
Deno.addSignalListener("SIGINT", () => {
  clearInterval(keepAlive);
  console.log(
    JSON.stringify({ event: "stopped", transport: "fake", frames: 200, refused: 0, cpuMs: 100 }),
  );
  Deno.exit(0);
});
