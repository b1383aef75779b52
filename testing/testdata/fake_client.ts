// A stand-in client for the runner's tests: behaves as told by --mode.
//   ok: prints a good record; errors: a record with failed frames; fail: a
//   failed record and exit 1; hang: never ends; garbage: prints no record;
//   interrupted: an interrupted record and exit 130, as after a Ctrl-C.
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    mode: { type: "string" },
    fps: { type: "string", default: "100" },
    size: { type: "string" },
    seconds: { type: "string" },
    warmup: { type: "string" },
    json: { type: "boolean" },
  },
});
const fps = Number(values.fps);
const record = (extra: Record<string, unknown>) =>
  JSON.stringify({
    transport: "fake",
    variant: "v",
    endpoint: "fake://",
    width: 64,
    height: 48,
    format: "rgb24",
    frameBytes: 9216,
    frames: fps,
    seconds: 1,
    fps,
    mbPerS: fps * 9216 / 1e6,
    latencyMs: { p50: 1000 / fps, p90: 1000 / fps, p99: 1000 / fps, max: 1000 / fps },
    cpuMsPerFrame: 0.5,
    verified: fps,
    errors: 0,
    errorKinds: {},
    status: "ok",
    runtime: { deno: "x", v8: "x", typescript: "x", platform: "x", packages: {} },
    ...extra,
  });
switch (values.mode) {
  case "interrupted":
    console.log(record({ status: "interrupted", reason: "interrupted by signal" }));
    Deno.exit(130);
    break;
  case "ok":
    console.log(record({}));
    break;
  case "errors":
    console.log(record({ errors: 2, errorKinds: { torn: 2 }, firstError: "frame 7: torn" }));
    Deno.exit(1);
    break;
  case "fail":
    console.error("fake: the server went away");
    console.log(record({ status: "failed", reason: "the server went away", frames: 0, fps: 0 }));
    Deno.exit(1);
    break;
  case "hang":
    setInterval(() => {}, 1000);
    break;
  case "garbage":
    console.log("{ this is not a record");
    break;
  default:
    console.error(`fake: unknown mode ${values.mode}`);
    Deno.exit(2);
}
