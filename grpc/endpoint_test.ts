import assert from "node:assert/strict";
import { parseEndpoint } from "../common/endpoint.ts";
import { UsageError } from "../common/flags.ts";
import { defaultEndpoint, ENDPOINT_KINDS, grpcTarget } from "./endpoint.ts";

const parse = (url: string) => parseEndpoint(url, ENDPOINT_KINDS);

Deno.test("endpoint: TCP 127.0.0.1:50051 by default, a port, a host, an absolute unix path", () => {
  assert.deepEqual(defaultEndpoint(), {
    kind: "tcp",
    url: "tcp://127.0.0.1:50051",
    host: "127.0.0.1",
    port: 50051,
  });
  assert.equal(grpcTarget(defaultEndpoint()), "127.0.0.1:50051");
  assert.equal(grpcTarget(parse("tcp://127.0.0.1:6000")), "127.0.0.1:6000");
  assert.equal(parse("tcp://[::1]:6000").url, "tcp://[::1]:6000");
  assert.equal(grpcTarget(parse("tcp://[::1]:6000")), "[::1]:6000");
  assert.deepEqual(parse("unix:///tmp/g.sock"), {
    kind: "unix",
    url: "unix:///tmp/g.sock",
    path: "/tmp/g.sock",
  });
  assert.equal(grpcTarget(parse("unix:///tmp/g.sock")), "unix:///tmp/g.sock");
  assert.equal((parse("unix://g.sock") as { path: string }).path, `${Deno.cwd()}/g.sock`);
});

Deno.test("endpoint: bad values are usage errors", () => {
  for (
    const [url, reason] of [
      ["tcp://127.0.0.1:70000", /over 65535/],
      ["tcp://127.0.0.1:http", /HOST:PORT/],
      ["tcp://:6000", /HOST:PORT/],
      ["tcp://a/b:6000", /HOST:PORT/],
      ["unix://", /no path/],
      ["ipc:///tmp/g.sock", /--endpoint must be tcp:\/\/127.0.0.1:PORT or unix:\/\//],
    ] as const
  ) {
    assert.throws(
      () => parse(url),
      (e: Error) => e instanceof UsageError && reason.test(e.message),
    );
  }
});
