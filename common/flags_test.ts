import assert from "node:assert/strict";
import {
  CLIENT_FLAGS,
  type ClientSpec,
  parseClientFlags,
  parseServerFlags,
  usage,
  UsageError,
} from "./flags.ts";

const command: ClientSpec = {
  name: "demo:client",
  summary: "A demo.",
  variants: ["fast", "slow"],
  flags: { endpoint: { type: "string", default: "ipc:///tmp/x", description: "where" } },
};

Deno.test("parseClientFlags() fills in the defaults", () => {
  const { help, options, flags } = parseClientFlags([], command);
  assert.equal(help, false);
  assert.equal(options.geometry.width, 1920);
  assert.equal(options.geometry.height, 1080);
  assert.equal(options.seconds, 5);
  assert.equal(options.warmup, 1);
  assert.equal(options.frames, undefined);
  assert.equal(options.variant, "fast");
  assert.equal(options.timeout, 5);
  assert.deepEqual([options.display, options.json, options.strict], [false, false, false]);
  assert.equal(flags.endpoint, "ipc:///tmp/x");
});

Deno.test("parseClientFlags() reads every shared flag", () => {
  const { options, flags } = parseClientFlags(
    [
      "--size",
      "4k",
      "--seconds",
      "2.5",
      "--warmup",
      "0",
      "--frames",
      "10",
      "--variant",
      "slow",
      "--timeout",
      "1",
      "--display",
      "--json",
      "--strict",
      "--endpoint",
      "tcp://127.0.0.1:1",
    ],
    command,
  );
  assert.equal(options.geometry.width, 3840);
  assert.equal(options.seconds, 2.5);
  assert.equal(options.warmup, 0);
  assert.equal(options.frames, 10);
  assert.equal(options.variant, "slow");
  assert.equal(options.timeout, 1);
  assert.deepEqual([options.display, options.json, options.strict], [true, true, true]);
  assert.equal(flags.endpoint, "tcp://127.0.0.1:1");
});

Deno.test("parseClientFlags() refuses bad flags with a UsageError naming the flag", () => {
  const cases: [string[], RegExp][] = [
    [["--nope"], /--nope/],
    [["--size", "huge"], /--size/],
    [["--seconds", "0"], /--seconds must be a number > 0/],
    [["--seconds", "abc"], /--seconds/],
    [["--warmup=-1"], /--warmup must be a number >= 0/],
    [["--warmup", "-1"], /--warmup argument is ambiguous/],
    [["--frames", "2.5"], /--frames must be a whole number/],
    [["--variant", "medium"], /--variant must be one of fast, slow/],
    [["--seconds"], /--seconds/],
    [["positional"], /positional/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseClientFlags(args, command), (e: unknown) => {
      assert.ok(e instanceof UsageError, `${args}: ${e}`);
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  }
});

Deno.test("parseServerFlags() takes --help and the command's flags only", () => {
  assert.equal(parseServerFlags(["--help"], command).help, true);
  assert.throws(() => parseServerFlags(["--size", "1080p"], command), UsageError);
});

Deno.test("usage() lists every flag with its default", () => {
  const text = usage(command, CLIENT_FLAGS);
  assert.match(text, /deno task demo:client/);
  assert.match(text, /--endpoint VALUE\s+where \(default ipc:\/\/\/tmp\/x\)/);
  assert.match(text, /--variant VALUE.*fast, slow \(default fast\)/);
  assert.match(text, /--seconds VALUE.*\(default 5\)/);
});
