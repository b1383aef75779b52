// Real gRPC servers and clients as processes, started from the same tasks a
// user runs (deno.json), over TCP and a unix socket; and the client's
// transports in this process against a real server process, for refusals.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import http2 from "node:http2";
import {
  freePort,
  pathExists,
  ROOT,
  runClient,
  startServer,
  taskArgs,
} from "../testing/processes.ts";
import { startClient } from "../testing/background_client.ts";
import { assertUsageErrors } from "../testing/usage_errors.ts";
import { assertEndpointsInUse } from "../testing/endpoint_in_use.ts";
import { FrameRefused } from "../common/echo.ts";
import { parseEndpoint } from "../common/endpoint.ts";
import { frameGeometry } from "../common/frame.ts";
import { FrameSource } from "../common/source.ts";
import { checkFrame } from "../common/verify.ts";
import { GrpcStreamEcho, GrpcUnaryEcho } from "./client.ts";
import { IMPLS } from "./impl.ts";
import { LeanStreamEcho, LeanUnaryEcho } from "./lean_client.ts";
import { ENDPOINT_KINDS } from "./endpoint.ts";
import { runFrames, SMALL, tcpArgs, unixArgs } from "./test_runs.ts";
import { frameEchoClient, frameEchoService, type FrameMessage, SERVICE_NAME } from "./service.ts";

/** The client transports of each implementation: unary, stream. */
const TRANSPORTS = {
  js: [GrpcUnaryEcho, GrpcStreamEcho],
  lean: [LeanUnaryEcho, LeanStreamEcho],
} as const;

/** A second server's line at an endpoint in use. */
const IN_USE = /^grpc:server: \S+ is in use by another server$/;

/** A server of `impl` at `endpoint` and a client of it that streams for a minute, watched. */
async function serveAndWatch(impl: string[], endpoint: string[], clientArgs: string[]) {
  const server = await startServer("grpc:server", [...impl, ...endpoint]);
  const client = startClient("grpc:client", [
    ...impl,
    ...endpoint,
    ...SMALL,
    "--seconds",
    "60",
    ...clientArgs,
  ]);
  return { server, client };
}

/** The status of one `Echo` call of `frame` at `port`, made with the frame codec: "OK" or "CODE: details". */
async function echoStatus(port: number, frame: Partial<FrameMessage>): Promise<string> {
  const Client = frameEchoClient();
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": -1,
  }) as unknown as {
    Echo(m: FrameMessage, f: (e: grpc.ServiceError | null, r?: FrameMessage) => void): void;
    close(): void;
  };
  const message = {
    width: 0,
    height: 0,
    format: 1,
    index: 0,
    timestamp: 0,
    offset: 0,
    frameBytes: 0,
    pixels: new Uint8Array(0),
    ...frame,
  };
  try {
    return await new Promise((resolve) =>
      client.Echo(message, (error, reply) =>
        resolve(
          error
            ? `${grpc.status[error.code]}: ${error.details}`
            : reply!.pixels.byteLength === message.pixels.byteLength
            ? "OK"
            : "a reply of another size",
        ))
    );
  } finally {
    client.close();
  }
}

/** The status of a call of `path` (any method name) with an empty message. */
async function callStatus(port: number, path: string): Promise<string> {
  const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve) => {
      raw.makeUnaryRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        (error) => resolve(error ? `${grpc.status[error.code]}: ${error.details}` : "OK"),
      );
    });
  } finally {
    raw.close();
  }
}

for (const impl of IMPLS) {
  /** The impl flag of this round's servers and clients. */
  const I = ["--impl", impl];

  Deno.test(`grpc (${impl}): unary, stream and chunked stream over TCP, every frame verified; SIGINT stops the server cleanly`, async () => {
    const port = String(freePort());
    const server = await startServer("grpc:server", [...I, ...tcpArgs(port)]);
    try {
      assert.deepEqual(
        [server.ready.event, server.ready.transport, server.ready.endpoint],
        ["ready", "grpc", `tcp://127.0.0.1:${port}`],
      );
      // Clients of both implementations: each speaks gRPC to the other's server.
      const runs: [string[], string][] = IMPLS.flatMap((client) =>
        [
          [["--impl", client, "--variant", "unary"], "unary"],
          [["--impl", client, "--variant", "unary", "--in-flight", "3"], "unary"],
          [["--impl", client, "--variant", "stream", "--in-flight", "3"], "stream"],
          [
            [
              "--impl",
              client,
              "--variant",
              "stream",
              "--in-flight",
              "1",
              "--chunk-bytes",
              "100000",
            ],
            "stream",
          ],
          ...(client === "js"
            ? [[["--impl", client, "--variant", "stream", "--codec", "protobufjs"], "stream"]]
            : []),
        ] as [string[], string][]
      );
      for (const [args, variant] of runs) {
        const run = await runClient("grpc:client", [
          ...tcpArgs(port),
          ...SMALL,
          ...args,
          "--frames",
          "20",
        ]);
        assert.equal(run.code, 0, `${args}: ${run.stderr}`);
        const r = run.record!;
        assert.deepEqual(
          [r.status, r.transport, r.variant, r.endpoint, r.width, r.height, r.frames, r.errors],
          ["ok", "grpc", variant, `tcp://127.0.0.1:${port}`, 640, 480, 20, 0],
          String(args),
        );
        assert.ok(r.verified >= 20);
        assert.ok(r.fps > 0 && r.latencyMs.p50 > 0);
        if (args[1] === "js") assert.match(r.runtime.packages["@grpc/grpc-js"], /^\d+\.\d+\.\d+$/);
        else assert.match(r.runtime.packages["grpc implementation"], /^lean/);
      }
    } finally {
      const stop = await server.stop("SIGINT");
      assert.equal(stop.code, 0, stop.stderr);
      assert.ok(stop.stopped && stop.stopped.frames >= 180, stop.stdout);
      assert.equal(stop.stopped?.refused, 0);
    }
  });

  Deno.test(`grpc (${impl}): a unix socket of mode 0600, removed on SIGTERM; a stale file is replaced; a second server is refused`, async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/echo.sock`;
    try {
      const killed = await startServer("grpc:server", [...I, ...unixArgs(path)]);
      await killed.stop("SIGKILL");
      assert.equal(await pathExists(path), true, "SIGKILL leaves the file");
      const server = await startServer("grpc:server", [...I, ...unixArgs(path)]);
      try {
        assert.equal(server.ready.endpoint, `unix://${path}`);
        assert.equal((await Deno.lstat(path)).mode! & 0o777, 0o600);
        for (const variant of ["unary", "stream"]) {
          const run = await runFrames("grpc:client", [...I, ...unixArgs(path)], variant, 10);
          assert.equal(run.code, 0, run.stderr);
          assert.equal(run.record?.endpoint, `unix://${path}`);
          assert.equal(run.record?.errors, 0);
        }
        await assertEndpointsInUse("grpc:server", [`unix://${path}`], { args: I, says: IN_USE });
        assert.equal(await pathExists(path), true, "the first server's file is left alone");
      } finally {
        const stop = await server.stop("SIGTERM");
        assert.equal(stop.code, 0, stop.stderr);
      }
      assert.equal(await pathExists(path), false, "socket file removed");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`grpc (${impl}): a second server on the same TCP port is refused in one line, the first keeps serving`, async () => {
    const port = String(freePort());
    const first = await startServer("grpc:server", [...I, ...tcpArgs(port)]);
    try {
      await assertEndpointsInUse("grpc:server", [`tcp://127.0.0.1:${port}`], {
        args: I,
        says: IN_USE,
      });
      const run = await runFrames("grpc:client", [...I, ...tcpArgs(port)], "unary", 5);
      assert.equal(run.code, 0, run.stderr);
    } finally {
      assert.equal((await first.stop()).code, 0);
    }
  });

  Deno.test(`grpc (${impl}): oversized and malformed frames are refused and counted, and the next frames go through`, async () => {
    const port = freePort();
    const geometry = frameGeometry(64, 48);
    const server = await startServer("grpc:server", [
      ...I,
      ...tcpArgs(port),
      "--max-bytes",
      String(geometry.frameBytes),
    ]);
    const endpoint = parseEndpoint(`tcp://127.0.0.1:${port}`, ENDPOINT_KINDS);
    const source = new FrameSource(geometry);
    const oversized = new Uint8Array(640 * 480 * 3);
    try {
      for (const Transport of [...TRANSPORTS.js, ...TRANSPORTS.lean]) {
        const transport = new Transport({ endpoint, geometry, inFlight: 1, timeoutSeconds: 5 });
        try {
          const roundTrip = async (frame: Uint8Array, index: number) => {
            await transport.send(frame, index);
            return await transport.receive();
          };
          const good = async (index: number) => {
            const back = await roundTrip(source.frame(index), index);
            assert.equal(back.index, index);
            assert.equal(checkFrame(source, back.frame, index), undefined);
          };
          await good(0);
          await assert.rejects(
            roundTrip(oversized, 1),
            (e: Error) =>
              e instanceof FrameRefused && /^RESOURCE_EXHAUSTED: .*larger than max/.test(e.message),
          );
          await good(2);
          await assert.rejects(
            roundTrip(source.frame(3).subarray(0, 100), 3),
            (e: Error) =>
              e instanceof FrameRefused &&
              e.message === "INVALID_ARGUMENT: pixels are 100 bytes, the frame needs 9216",
          );
          await good(4);
        } finally {
          transport.close();
        }
      }
      // Bytes that are no Frame message at all.
      const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      const status = await new Promise<grpc.ServiceError | null>((resolve) => {
        raw.makeUnaryRequest(
          `/${SERVICE_NAME}/Echo`,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from([0x0f, 0xff]),
          (error) => resolve(error),
        );
      });
      raw.close();
      assert.equal(status?.code, grpc.status.INTERNAL);
    } finally {
      const stop = await server.stop();
      assert.equal(stop.code, 0, stop.stderr);
      // Two refusals and three frames per transport (4), and the INTERNAL one.
      assert.equal(stop.stopped?.refused, 9);
      assert.equal(stop.stopped?.frames, 12);
      const refusals = stop.stderr.trim().split("\n").filter((l) =>
        l.includes("refused a message")
      );
      assert.ok(refusals.length >= 5 && refusals.length <= 9, stop.stderr);
    }
  });

  Deno.test(`grpc (${impl}): --max-bytes is on pixel bytes exactly; unknown methods and non-gRPC requests are counted`, async () => {
    const port = freePort();
    const limit = 64 * 48 * 3; // 9216
    const server = await startServer("grpc:server", [
      ...I,
      ...tcpArgs(port),
      "--max-bytes",
      String(limit),
    ]);
    const expected: string[] = [];
    try {
      const over = (bytes: number) =>
        `RESOURCE_EXHAUSTED: pixels are ${bytes} bytes, over the server's --max-bytes of ${limit}`;
      // Methods the service does not have, and a request that is not gRPC.
      for (const path of [`/${SERVICE_NAME}/Nope`, "/other.Service/Echo"]) {
        assert.equal(
          await callStatus(port, path),
          `UNIMPLEMENTED: The server does not implement the method ${path}`,
        );
        expected.push(`UNIMPLEMENTED: no method "${path}"`);
      }
      // A request that is not gRPC: only the lean server is sent one. Deno's
      // node:http2 under grpc-js aborts now and then when such a client
      // closes (denoland/deno#36788, grpc/README.md), and grpc-js's answer
      // (HTTP 415) is not counted.
      if (impl === "lean") {
        const session = http2.connect(`http://127.0.0.1:${port}`);
        try {
          const request = session.request({
            ":method": "POST",
            ":path": "/",
            "content-type": "text/plain",
          });
          request.end("hello");
          const { promise, resolve } = Promise.withResolvers<http2.IncomingHttpHeaders>();
          request.on("response", resolve);
          const headers = await promise;
          // grpc-js answers 415; under Deno 2.9.6 it goes out as 200, because
          // node:http2's constants lack HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE.
          assert.ok(
            ["415", "200"].includes(String(headers[":status"])),
            String(headers[":status"]),
          );
          assert.equal(headers["grpc-status"], undefined, "not a gRPC answer");
          request.resume();
        } finally {
          session.close();
        }
        expected.push('not a gRPC request (content-type "text/plain")');
      }
      // At the limit, and one byte over it (the geometry check comes after the limit).
      assert.equal(
        await echoStatus(port, { width: 64, height: 48, pixels: new Uint8Array(limit) }),
        "OK",
      );
      assert.equal(
        await echoStatus(port, { width: 64, height: 48, pixels: new Uint8Array(limit + 1) }),
        over(limit + 1),
      );
      expected.push(over(limit + 1));
      // A frame whose geometry matches its pixels, a few bytes over: grpc-js's own
      // limit (on the whole message) let it through before.
      assert.equal(
        await echoStatus(port, { width: 1, height: 3073, pixels: new Uint8Array(3073 * 3) }),
        over(3073 * 3),
      );
      expected.push(over(3073 * 3));
      // The same on a stream (this implementation's client).
      const stream = new TRANSPORTS[impl][1]({
        endpoint: parseEndpoint(`tcp://127.0.0.1:${port}`, ENDPOINT_KINDS),
        geometry: frameGeometry(8, 384), // 9216 bytes
        inFlight: 1,
        timeoutSeconds: 5,
      });
      try {
        await stream.send(new Uint8Array(limit), 0);
        assert.equal((await stream.receive()).frame.byteLength, limit);
        await stream.send(new Uint8Array(limit + 1), 1);
        await assert.rejects(
          stream.receive(),
          (e: Error) => e instanceof FrameRefused && e.message === over(limit + 1),
        );
      } finally {
        stream.close();
      }
    } finally {
      const stop = await server.stop();
      assert.equal(stop.code, 0, stop.stderr);
      const refusals = stop.stderr.trim().split("\n").filter((l) =>
        l.includes("refused a message")
      );
      // The stream's refusal, the last, is not logged when it comes as the
      // sixth within the same second as the first five.
      assert.equal(stop.stopped?.refused, expected.length + 1, stop.stderr);
      assert.equal(refusals.length, Math.min(5, expected.length + 1), stop.stderr);
      for (const reason of expected) assert.ok(refusals.some((l) => l.endsWith(reason)), reason);
      assert.equal(stop.stopped?.frames, 2);
    }
  });

  for (const variant of ["stream", "unary"]) {
    Deno.test(`grpc (${impl}): the server killed mid-run (${variant}): the client fails within its timeout, in one line`, async () => {
      const { server, client } = await serveAndWatch(I, tcpArgs(freePort()), [
        "--variant",
        variant,
        "--timeout",
        "3",
      ]);
      try {
        await client.printed(/fps/);
        const killed = performance.now();
        await server.stop("SIGKILL");
        const { code, record } = await client.ended();
        assert.ok(performance.now() - killed < 3000 + 2000, "within the timeout");
        assert.equal(code, 1);
        assert.equal(record?.status, "failed");
        assert.match(
          record?.reason ?? "",
          /server at tcp:\/\/127\.0\.0\.1:\d+ is unreachable or gone|no reply from/,
        );
        assert.equal(record!.reason!.split("\n").length, 1);
        assert.ok(record!.verified > 0);
        assert.equal(record?.errors, 0);
      } finally {
        await client.kill();
      }
    });
  }

  Deno.test(`grpc (${impl}): a hung server (SIGSTOP) is reported within the client's timeout`, async () => {
    const { server, client } = await serveAndWatch(I, tcpArgs(freePort()), [
      "--variant",
      "stream",
      "--timeout",
      "2",
    ]);
    try {
      await client.printed(/fps/);
      const stopped = performance.now();
      server.child.kill("SIGSTOP");
      const { code, record } = await client.ended();
      const waited = performance.now() - stopped;
      assert.ok(waited >= 1500 && waited < 2000 + 2000, `waited ${waited} ms`);
      assert.equal(code, 1);
      assert.match(record?.reason ?? "", /^no reply from tcp:\/\/127\.0\.0\.1:\d+ within 2 s/);
    } finally {
      server.child.kill("SIGCONT");
      assert.equal((await server.stop()).code, 0);
      await client.kill();
    }
  });

  Deno.test(`grpc (${impl}): Ctrl-C on the server mid-stream: it stops at once with code 0, and the client says so`, async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/echo.sock`;
    const { server, client } = await serveAndWatch(I, unixArgs(path), ["--variant", "stream"]);
    try {
      await client.printed(/fps/);
      const started = performance.now();
      const stop = await server.stop("SIGINT");
      assert.ok(
        performance.now() - started < 2000,
        "the server does not wait for the stream to end",
      );
      assert.equal(stop.code, 0, stop.stderr);
      assert.ok(stop.stopped && stop.stopped.frames > 0);
      assert.equal(await pathExists(path), false, "socket file removed");
      const { code, record } = await client.ended();
      assert.equal(code, 1);
      assert.equal(record?.status, "failed");
      assert.match(
        record?.reason ?? "",
        /server at unix:\/\/.* (cancelled the call|is unreachable or gone)/,
      );
      assert.equal(record?.errors, 0);
    } finally {
      await client.kill();
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`grpc (${impl}): a client stopped mid-stream (Ctrl-C) or killed does not disturb the server`, async () => {
    const port = String(freePort());
    const server = await startServer("grpc:server", [...I, ...tcpArgs(port)]);
    try {
      const args = [
        ...tcpArgs(port),
        ...SMALL,
        "--variant",
        "stream",
        "--in-flight",
        "4",
        "--seconds",
        "60",
      ];
      const interrupted = startClient("grpc:client", args);
      await interrupted.printed(/fps/);
      interrupted.child.kill("SIGINT");
      const { code, record } = await interrupted.ended();
      assert.equal(code, 130);
      assert.deepEqual([record?.status, record?.errors], ["interrupted", 0]);
      assert.ok(record!.verified > 0);
      const killed = startClient("grpc:client", args);
      await killed.printed(/fps/);
      killed.child.kill("SIGKILL");
      await killed.ended();
      for (const variant of ["unary", "stream"]) {
        const run = await runFrames("grpc:client", [...I, ...tcpArgs(port)], variant, 5);
        assert.equal(run.code, 0, run.stderr);
      }
    } finally {
      const stop = await server.stop();
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal(stop.stopped?.refused, 0);
    }
  });

  Deno.test(`grpc (${impl}): a message prefix of 2 GiB is refused at once, before anything is buffered`, async () => {
    const port = freePort();
    const server = await startServer("grpc:server", [...I, ...tcpArgs(port)]);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const request = session.request({
        ":method": "POST",
        ":path": `/${SERVICE_NAME}/Echo`,
        "content-type": "application/grpc",
        "te": "trailers",
      });
      // The length prefix says 2 GiB - 1; only a few bytes follow, and the
      // request stays open: the refusal must not wait for the rest.
      request.write(Buffer.from([0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3]));
      const { promise, resolve } = Promise.withResolvers<http2.IncomingHttpHeaders>();
      request.on("trailers", resolve);
      request.on("response", (headers) => {
        if (headers["grpc-status"] !== undefined) resolve(headers); // trailers-only
      });
      request.on("error", () => {});
      request.resume();
      const trailers = await promise;
      assert.equal(trailers["grpc-status"], String(grpc.status.RESOURCE_EXHAUSTED));
      assert.match(
        decodeURIComponent(String(trailers["grpc-message"])),
        /^Received message larger than max \(2147483647 vs \d+\)$/,
      );
      request.close();
    } finally {
      session.destroy();
      const stop = await server.stop();
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal(stop.stopped?.refused, 1);
    }
  });

  Deno.test(`grpc (${impl}): peers that connect and leave at once (a port check) do not disturb the server`, async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/echo.sock`;
    const server = await startServer("grpc:server", [...I, ...unixArgs(path)]);
    const hello = Uint8Array.from([
      ...new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
      ...[0, 0, 0, 4, 0, 0, 0, 0, 0], // SETTINGS
      ...[0, 0, 8, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8], // PING
    ]);
    try {
      for (let i = 0; i < 40; i++) {
        const conn = await Deno.connect({ transport: "unix", path });
        // Half of them say hello first, so that the server has answers to
        // write to a peer that is gone (EPIPE).
        if (i % 2) await conn.write(hello).catch(() => {});
        conn.close();
      }
      const run = await runFrames("grpc:client", [...I, ...unixArgs(path)], "unary", 5);
      assert.equal(run.code, 0, run.stderr);
    } finally {
      const stop = await server.stop();
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal(stop.stderr.includes("Uncaught"), false, stop.stderr);
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`grpc (${impl}): a client with no server fails at once and says so in one line`, async () => {
    const port = String(freePort());
    for (const variant of ["unary", "stream"]) {
      const started = performance.now();
      const run = await runClient("grpc:client", [
        ...I,
        ...tcpArgs(port),
        ...SMALL,
        "--variant",
        variant,
        "--timeout",
        "2",
      ]);
      assert.ok(performance.now() - started < 15000);
      assert.equal(run.code, 1);
      assert.equal(run.record?.status, "failed");
      assert.match(
        run.record!.reason!,
        new RegExp(
          `^the server at tcp://127.0.0.1:${port} is unreachable or gone \\(.*ECONNREFUSED.*\\): is`,
        ),
      );
    }
  });
}

Deno.test("grpc (lean): streams that only announce large messages cannot make the server allocate without bound", async () => {
  const port = freePort();
  const server = await startServer("grpc:server", [
    "--impl",
    "lean",
    ...tcpArgs(port),
    "--max-bytes",
    "1000000",
  ]);
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  try {
    // 30 streams, each announcing a message of 1,000,000 bytes and sending 1:
    // buffers for 16 fit the connection's 16 MiB budget (inProgressBudget),
    // the others are refused at once.
    const statuses = await Promise.all(Array.from({ length: 30 }, () => {
      const request = session.request({
        ":method": "POST",
        ":path": `/${SERVICE_NAME}/Echo`,
        "content-type": "application/grpc",
        "te": "trailers",
      });
      request.on("error", () => {});
      request.write(Buffer.from([0, 0x00, 0x0f, 0x42, 0x40, 7]));
      request.resume();
      return new Promise<string>((resolve) => {
        request.on("response", (h) => {
          if (h["grpc-status"] !== undefined) {
            resolve(decodeURIComponent(String(h["grpc-message"])));
          }
        });
        request.on("trailers", (h) => resolve(decodeURIComponent(String(h["grpc-message"]))));
        setTimeout(() => resolve("pending"), 1500);
      });
    }));
    const refused = statuses.filter((s) =>
      /over what this connection may have in progress/.test(s)
    );
    assert.equal(refused.length, 14, statuses.join("\n"));
    assert.equal(statuses.filter((s) => s === "pending").length, 16);
  } finally {
    session.destroy();
    const stop = await server.stop();
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stopped?.refused, 14);
  }
});

Deno.test("grpc: bad flags exit with code 2 and one line", async () => {
  await assertUsageErrors(`
    grpc:server --bogus
    grpc:server --endpoint tcp://127.0.0.1:70000
    grpc:server --port 6000
    grpc:server --max-bytes -1
    grpc:server --codec json
    grpc:server --impl rust
    grpc:server --impl lean --codec protobufjs
    grpc:client --impl lean --codec protobufjs
    grpc:client --variant rest
    grpc:client --variant unary --chunk-bytes 1000
    grpc:client --variant stream --chunk-bytes 0
    grpc:client --in-flight 1.5
    grpc:client --endpoint unix://
    grpc:client --endpoint ipc:///tmp/x.sock
    grpc:client --window 100
    grpc:python-server --endpoint udp://127.0.0.1:6000
    grpc:python-client --endpoint=tcp://127.0.0.1:70000
  `);
});

Deno.test("grpc: --in-flight beyond the frame pool is a failed run with one line", async () => {
  const run = await runClient("grpc:client", [
    ...tcpArgs(freePort()),
    ...SMALL,
    "--variant",
    "stream",
    "--in-flight",
    "8",
  ]);
  assert.equal(run.code, 1);
  assert.match(run.record?.reason ?? "", /in flight must be 1 to 7, got 8/);
});

Deno.test("grpc: the service's methods are the schema's", () => {
  const service = frameEchoService();
  assert.deepEqual(Object.keys(service).sort(), ["Echo", "EchoStream"]);
  assert.deepEqual(
    [
      service.Echo.path,
      service.Echo.requestStream,
      service.EchoStream.requestStream,
      service.EchoStream.responseStream,
    ],
    [`/${SERVICE_NAME}/Echo`, false, true, true],
  );
  assert.equal(typeof frameEchoClient(service), "function");
});

Deno.test("grpc: the node:http2 probe measures an echo and prints one line", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      ...taskArgs("grpc:http2-probe"),
      "--size",
      "64x48",
      "--seconds",
      "0.3",
      "--in-flight",
      "2",
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.match(stdout, /^node:http2 echo 64x48, 2 in flight, window 67108864: \d+\.\d fps\n$/);
});
