import assert from "node:assert/strict";
import { type Endpoint, endpointFlag, isLoopback, parseEndpoint } from "./endpoint.ts";
import { UsageError } from "./flags.ts";

Deno.test("parseEndpoint() reads every kind into its canonical URL", () => {
  const all = ["unix", "tcp", "ipc", "http", "shm"] as const;
  const cases: [string, Endpoint][] = [
    ["unix:///tmp/a.sock", { kind: "unix", url: "unix:///tmp/a.sock", path: "/tmp/a.sock" }],
    ["ipc:///tmp/b.sock", { kind: "ipc", url: "ipc:///tmp/b.sock", path: "/tmp/b.sock" }],
    [
      "tcp://127.0.0.1:5555",
      { kind: "tcp", url: "tcp://127.0.0.1:5555", host: "127.0.0.1", port: 5555 },
    ],
    ["tcp://[::1]:0", { kind: "tcp", url: "tcp://[::1]:0", host: "::1", port: 0 }],
    [
      "http://localhost:8080/",
      { kind: "http", url: "http://localhost:8080", host: "localhost", port: 8080 },
    ],
    ["shm://framebench-shm", { kind: "shm", url: "shm://framebench-shm", name: "framebench-shm" }],
  ];
  for (const [text, endpoint] of cases) assert.deepEqual(parseEndpoint(text, all), endpoint, text);
});

Deno.test("parseEndpoint() makes a relative socket path absolute", () => {
  const endpoint = parseEndpoint("unix://here.sock", ["unix"]);
  assert.equal(endpoint.url, `unix://${Deno.cwd()}/here.sock`);
});

Deno.test("parseEndpoint() refuses, in one line naming the forms it takes", () => {
  const cases: [string, RegExp][] = [
    [
      "ipc:///tmp/x.sock",
      /must be unix:\/\/\/path\/to\/socket or tcp:\/\/127.0.0.1:PORT, got "ipc/,
    ],
    ["tcp://127.0.0.1", /expected HOST:PORT/],
    ["tcp://127.0.0.1:65536", /over 65535/],
    ["tcp://a b:1", /expected HOST:PORT/],
    ["unix://", /no path/],
    ["127.0.0.1:80", /got "127.0.0.1:80"/],
    ["", /got ""/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseEndpoint(text, ["unix", "tcp"]), (error: Error) => {
      assert.ok(error instanceof UsageError, text);
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  }
  assert.throws(() => parseEndpoint("shm://a/b", ["shm"]), /a name of letters/);
  assert.throws(() => parseEndpoint("shm://..", ["shm"]), /not starting with '\.'/);
});

Deno.test("endpointFlag() gives the default and the forms taken", () => {
  const flag = endpointFlag("unix:///tmp/s.sock", ["unix", "tcp"]).endpoint;
  assert.equal(flag.default, "unix:///tmp/s.sock");
  assert.match(flag.description, /unix:\/\/\/path\/to\/socket or tcp:\/\/127.0.0.1:PORT/);
});

Deno.test("isLoopback() tells this machine's addresses from others", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) assert.ok(isLoopback(host));
  for (const host of ["0.0.0.0", "10.0.0.1", "::", "example.com"]) assert.ok(!isLoopback(host));
});
