import assert from "node:assert/strict";
import { UsageError } from "../common/flags.ts";
import { parseEndpoint } from "./endpoint.ts";

Deno.test("endpoint: TCP 127.0.0.1:50051 by default, a port, a host, an absolute unix path", () => {
  assert.deepEqual(parseEndpoint({}), {
    url: "tcp://127.0.0.1:50051",
    target: "127.0.0.1:50051",
    host: "127.0.0.1",
    port: 50051,
  });
  assert.equal(parseEndpoint({ port: "6000" }).target, "127.0.0.1:6000");
  assert.equal(parseEndpoint({ host: "::1", port: "6000" }).url, "tcp://[::1]:6000");
  assert.deepEqual(parseEndpoint({ unix: "/tmp/g.sock", port: "1" }), {
    url: "unix:///tmp/g.sock",
    target: "unix:///tmp/g.sock",
    unixPath: "/tmp/g.sock",
  });
  assert.equal(parseEndpoint({ unix: "g.sock" }).unixPath, `${Deno.cwd()}/g.sock`);
});

Deno.test("endpoint: bad values are usage errors", () => {
  for (
    const [flags, reason] of [
      [{ port: "0" }, /--port must be a whole number > 0/],
      [{ port: "70000" }, /--port must be at most 65535/],
      [{ port: "http" }, /--port/],
      [{ host: "" }, /--host/],
      [{ host: "a/b" }, /--host/],
      [{ unix: "" }, /--unix/],
    ] as const
  ) {
    assert.throws(
      () => parseEndpoint(flags),
      (e: Error) => e instanceof UsageError && reason.test(e.message),
    );
  }
});
