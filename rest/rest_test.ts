// Real REST servers and clients as processes, started from the same tasks a
// user runs (deno.json), over TCP and a unix socket; bad requests sent by hand.
import assert from "node:assert/strict";
import { pathExists, runClient, type ServerProcess, startServer } from "../testing/processes.ts";
import { assertUsageErrors } from "../testing/usage_errors.ts";
import { assertEndpointsInUse } from "../testing/endpoint_in_use.ts";
import { parseSize } from "../common/frame.ts";
import { FrameSource } from "../common/source.ts";
import { encodeJpeg } from "./jpeg.ts";
import { newBoundary, writeMultipart } from "./multipart.ts";
import { Scratch } from "./scratch.ts";

// Small frames, no warm-up; --frames, not the default 5 s, ends a run that
// gives it, and a reply may take longer than the default --timeout 5, however
// slow a busy machine is (a JPEG or js-codec run made 3 to 9 frames in 5 s, a
// JPEG reply took over 5 s, on one loaded 10 times over).
const PATIENT = ["--seconds", "60", "--timeout", "30"];
const SMALL = ["--size", "480p", "--warmup", "0", ...PATIENT];
const TINY = ["--size", "64x48", "--warmup", "0", ...PATIENT];

/** A REST server on a free TCP port of 127.0.0.1, with `args`. */
function tcpServer(...args: string[]): Promise<ServerProcess> {
  return startServer("rest:server", ["--endpoint", "http://127.0.0.1:0", ...args]);
}

/** A REST client of the server at `endpoint` (a ready line's URL, or `unix://PATH`), with `args`. */
function restClient(endpoint: string, ...args: string[]) {
  return runClient("rest:client", ["--endpoint", endpoint, ...args], { timeoutMs: 60000 });
}

async function stopClean(server: ServerProcess) {
  const stop = await server.stop("SIGINT");
  assert.equal(stop.code, 0, stop.stderr);
  return stop;
}

Deno.test("rest: every variant echoes verified frames over TCP, between real processes", async () => {
  // tcp:// and http:// are the same TCP; the ready line and records say http://.
  const server = await startServer("rest:server", ["--endpoint", "tcp://127.0.0.1:0"]);
  const { port } = new URL(server.ready.endpoint);
  assert.match(server.ready.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  let frames = 0;
  try {
    const runs: [string, string[]][] = [
      ["raw", []],
      ["multipart", []],
      ["base64", []],
      ["base64", ["--encoder", "js"]],
      ["hex", []],
      ["hex", ["--encoder", "js"]],
      ["jpeg", ["--quality", "80"]],
      ["raw", ["--in-flight", "3"]],
      ["jpeg", ["--in-flight", "2"]],
    ];
    for (const [i, [variant, extra]] of runs.entries()) {
      const what = `${variant} ${extra.join(" ")}`;
      // Every other run names the server as tcp://.
      const endpoint = i % 2 ? `tcp://127.0.0.1:${port}` : server.ready.endpoint;
      const run = await restClient(
        endpoint,
        "--variant",
        variant,
        ...extra,
        ...SMALL,
        "--frames",
        "12",
      );
      assert.equal(run.code, 0, `${what}: ${run.stderr} ${run.record?.reason}`);
      const r = run.record! as typeof run.record & { rest: Record<string, number | string> };
      assert.equal(r.status, "ok", what);
      assert.equal(r.transport, "rest");
      assert.equal(r.variant, variant);
      assert.equal(r.endpoint, server.ready.endpoint);
      assert.equal(r.frames, 12, what);
      assert.ok(r.verified >= 12, what);
      assert.equal(r.errors, 0, what);
      assert.ok(r.fps > 0 && r.latencyMs.p50 > 0, what);
      assert.equal(r.rest.allocator, "glibc tuned", what);
      frames += r.verified;
      if (variant === "base64" || variant === "hex") {
        assert.equal(r.rest.encoder, extra[1] ?? "native");
        assert.ok(Number(r.rest.bodyBytes) > 640 * 480 * 3, what);
      }
      if (variant === "jpeg") {
        assert.equal(r.rest.quality, extra[0] === "--quality" ? 80 : 90);
        assert.ok(Number(r.rest.meanJpegBytes) > 0 && Number(r.rest.compression) > 5, what);
        assert.ok(Number(r.rest.minPsnrDb) >= Number(r.rest.tolerancePsnrDb), what);
        assert.match(r.runtime.packages.libvips, /^\d+\.\d+/);
      }
    }
  } finally {
    const stop = await stopClean(server);
    assert.ok(stop.stopped && stop.stopped.frames >= frames, stop.stdout);
    assert.equal(stop.stopped?.refused, 0, stop.stderr);
  }
});

Deno.test("rest: a JPEG frame under the PSNR tolerance is counted as an error, never passed", async () => {
  const server = await tcpServer();
  try {
    const run = await restClient(server.ready.endpoint, ...[
      "--variant",
      "jpeg",
      "--quality",
      "10",
      "--min-psnr",
      "60",
      ...SMALL,
      "--frames",
      "6",
    ]);
    assert.equal(run.code, 1, run.stderr);
    const r = run.record!;
    assert.equal(r.verified, 0);
    assert.ok(r.errors >= 6, JSON.stringify(r));
    assert.equal(r.errorKinds.corrupt, r.errors);
    assert.match(
      r.firstError!,
      /^frame \d+: PSNR \d+\.\d dB against the frame sent, under the 60 dB/,
    );
  } finally {
    await stopClean(server);
  }
});

Deno.test("rest: the unix-socket path, mode 0600, removed on SIGINT and on SIGTERM", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const path = `${dir}/rest-${signal}.sock`;
      const server = await startServer("rest:server", ["--endpoint", `unix://${path}`]);
      assert.equal(server.ready.endpoint, `unix://${path}`);
      assert.equal((await Deno.lstat(path)).mode! & 0o777, 0o600);
      for (const variant of ["raw", "multipart", "base64", "jpeg"]) {
        const run = await restClient(server.ready.endpoint, ...[
          "--variant",
          variant,
          ...SMALL,
          "--frames",
          "8",
          "--default-malloc",
        ]);
        assert.equal(run.code, 0, `${variant}: ${run.stderr}`);
        assert.equal(run.record?.endpoint, `unix://${path}`);
        assert.equal(run.record?.errors, 0);
        const rest = (run.record as unknown as { rest: { allocator: string } }).rest;
        assert.equal(rest.allocator, "default (--default-malloc)");
      }
      const stop = await server.stop(signal);
      assert.equal(stop.code, 0, stop.stderr);
      assert.ok(stop.stopped!.frames >= 32);
      assert.equal(await pathExists(path), false, "socket file removed");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rest: each bad request gets its 4xx and one JSON line, then a good frame is served", async () => {
  const geometry = parseSize("64x48");
  const maxBytes = 20000; // a 64x48 frame as hex JSON fits, 30000 bytes do not
  const server = await tcpServer("--max-bytes", String(maxBytes));
  const base = server.ready.endpoint;
  const source = new FrameSource(geometry);
  const frame = source.frame(5);
  const frameHeaders = {
    "content-type": "application/octet-stream",
    "x-frame-width": "64",
    "x-frame-height": "48",
    "x-frame-index": "5",
  };
  const json = (data: string, more: Record<string, unknown> = {}) =>
    JSON.stringify({ width: 64, height: 48, format: "rgb24", index: 5, data, ...more });
  const b64 = (bytes: Uint8Array) => (bytes as unknown as { toBase64(): string }).toBase64();
  const jpeg = await encodeJpeg(frame, geometry, 90);
  const boundary = newBoundary();
  const form = (fields: Record<string, string>, bytes: Uint8Array) =>
    writeMultipart(boundary, fields, {
      name: "frame",
      filename: "f.rgb",
      contentType: "application/octet-stream",
      bytes,
    }, new Scratch()).slice();
  const multipart = { "content-type": `multipart/form-data; boundary=${boundary}` };
  const fields = { width: "64", height: "48", format: "rgb24", index: "5" };
  const post = (body: BodyInit, headers: Record<string, string>) => ({
    method: "POST",
    body,
    headers,
  });
  const cases: [string, string, RequestInit, number, RegExp][] = [
    [
      "raw, wrong content type",
      "/frames/raw",
      post(frame.slice(), { ...frameHeaders, "content-type": "text/plain" }),
      415,
      /content-type must be application\/octet-stream/,
    ],
    [
      "raw, wrong length for the stated size",
      "/frames/raw",
      post(frame.slice(0, 1000), frameHeaders),
      400,
      /body is 1000 bytes, the stated 64x48 rgb24 needs 9216/,
    ],
    [
      "raw, no size stated",
      "/frames/raw",
      post(frame.slice(), { "content-type": "application/octet-stream" }),
      400,
      /x-frame-width is missing/,
    ],
    [
      "raw, over --max-bytes",
      "/frames/raw",
      post(new Uint8Array(30000), frameHeaders),
      413,
      /30000 bytes is over the server's limit of 20000/,
    ],
    [
      "raw, chunked over --max-bytes",
      "/frames/raw",
      post(ReadableStream.from([new Uint8Array(15000), new Uint8Array(15000)]), frameHeaders),
      413,
      /chunked body passed the server's limit of 20000/,
    ],
    [
      "base64, wrong content type",
      "/frames/base64",
      post(json(b64(frame)), { "content-type": "text/plain" }),
      415,
      /content-type must be application\/json/,
    ],
    [
      "base64, not JSON",
      "/frames/base64",
      post("{", { "content-type": "application/json" }),
      400,
      /body is not JSON/,
    ],
    [
      "base64, bad base64",
      "/frames/base64",
      post(json("$" + b64(frame).slice(1)), { "content-type": "application/json" }),
      400,
      /data is not valid base64/,
    ],
    [
      "base64, wrong length",
      "/frames/base64",
      post(json(b64(frame.subarray(3))), { "content-type": "application/json" }),
      400,
      /data holds 9213 bytes, the stated size needs 9216/,
    ],
    [
      "hex, bad hex (js encoder)",
      "/frames/hex?encoder=js",
      post(json("zz" + (frame as unknown as { toHex(): string }).toHex().slice(2)), {
        "content-type": "application/json",
      }),
      400,
      /data is not valid hex/,
    ],
    [
      "hex, over --max-bytes",
      "/frames/hex",
      post(json("00".repeat(15000)), { "content-type": "application/json" }),
      413,
      /over the server's limit/,
    ],
    [
      "jpeg, does not decode",
      "/frames/jpeg",
      post(json(b64(new Uint8Array(300).fill(7))), { "content-type": "application/json" }),
      400,
      /JPEG does not decode/,
    ],
    [
      "jpeg, cut short",
      "/frames/jpeg",
      post(json(b64(jpeg.subarray(0, jpeg.byteLength >> 1))), {
        "content-type": "application/json",
      }),
      400,
      /JPEG does not decode/,
    ],
    [
      "jpeg, not the stated size",
      "/frames/jpeg",
      post(json(b64(jpeg), { width: 32 }), { "content-type": "application/json" }),
      400,
      /JPEG is 64x48 with 3 channels, the stated frame is 32x48/,
    ],
    [
      "multipart, no boundary",
      "/uploads",
      post(form(fields, frame), { "content-type": "multipart/form-data" }),
      400,
      /without a boundary/,
    ],
    [
      "multipart, wrong length",
      "/uploads",
      post(form(fields, frame.subarray(1)), multipart),
      400,
      /file "frame" is 9215 bytes, the stated 64x48 rgb24 needs 9216/,
    ],
    [
      "multipart, malformed",
      "/uploads",
      post(form(fields, frame).subarray(0, 5000), multipart),
      400,
      /does not end with a boundary/,
    ],
    ["multipart, download of nothing", "/uploads/999", {}, 404, /no upload "999"/],
    [
      "no such route",
      "/frames/yuv",
      post("x", { "content-type": "application/json" }),
      404,
      /no route POST \/frames\/yuv/,
    ],
  ];
  let stop: Awaited<ReturnType<typeof stopClean>>;
  try {
    for (const [what, path, init, status, reason] of cases) {
      const response = await fetch(base + path, init);
      const text = await response.text();
      assert.equal(response.status, status, `${what}: ${text}`);
      assert.equal(response.headers.get("content-type"), "application/json", what);
      assert.equal(text.trim().split("\n").length, 1, what);
      assert.match(JSON.parse(text).error, reason, what);
      // The server goes on: a good frame, by hand and from a client process.
      const good = await fetch(base + "/frames/raw", post(frame.slice(), frameHeaders));
      assert.equal(good.status, 200, `${what}, then a good frame`);
      assert.deepEqual(await good.bytes(), frame, `${what}, then a good frame`);
    }
    const run = await restClient(base, "--variant", "hex", ...TINY, "--frames", "5");
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.record?.errors, 0);
  } finally {
    // (Checked after the loop's own assertions, which would say more.)
    stop = await stopClean(server);
  }
  assert.equal(stop.stopped?.refused, cases.length, stop.stderr);
  // One line each for the first five (later ones at most once a second: common/server.ts).
  const refusals = stop.stderr.trim().split("\n").filter((l) => l.includes("refused a message"));
  assert.ok(refusals.length >= 5 && refusals.length <= cases.length, stop.stderr);
  assert.match(
    refusals[0],
    /POST \/frames\/raw: 415 content-type must be application\/octet-stream/,
  );
});

Deno.test("rest: a wrong method gets 405 with an Allow header naming the right one", async () => {
  const server = await tcpServer();
  const base = server.ready.endpoint;
  const cases: [string, string, string][] = [
    ["GET", "/frames/raw", "POST"],
    ["PUT", "/frames/base64", "POST"],
    ["GET", "/frames/hex", "POST"],
    ["DELETE", "/frames/jpeg", "POST"],
    ["GET", "/uploads", "POST"],
    ["POST", "/uploads/1", "GET"],
    ["POST", "/", "GET"],
  ];
  try {
    for (const [method, path, allow] of cases) {
      const response = await fetch(base + path, { method });
      const text = await response.text();
      assert.equal(response.status, 405, `${method} ${path}: ${text}`);
      assert.equal(response.headers.get("allow"), allow, `${method} ${path}`);
      assert.equal(
        JSON.parse(text).error,
        `${path} takes ${allow}, not ${method}`,
        `${method} ${path}`,
      );
    }
    // An unknown route is a 404, with no Allow header.
    const unknown = await fetch(base + "/frames/yuv");
    await unknown.body?.cancel();
    assert.deepEqual([unknown.status, unknown.headers.get("allow")], [404, null]);
  } finally {
    const stop = await stopClean(server);
    assert.equal(stop.stopped?.refused, cases.length + 1);
  }
});

Deno.test("rest: a client dying mid-frame costs the server one line, and it goes on", async () => {
  const server = await tcpServer();
  try {
    const port = Number(new URL(server.ready.endpoint).port);
    const head =
      "POST /frames/raw HTTP/1.1\r\nhost: x\r\ncontent-type: application/octet-stream\r\n" +
      "x-frame-width: 64\r\nx-frame-height: 48\r\nx-frame-index: 1\r\ncontent-length: 9216\r\n\r\n";
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode(head + "x".repeat(100)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    conn.close();
    const run = await restClient(server.ready.endpoint, ...TINY, "--frames", "5");
    assert.equal(run.code, 0, run.stderr);
  } finally {
    const stop = await stopClean(server);
    assert.equal(stop.stopped?.refused, 1, stop.stderr);
    assert.match(stop.stderr, /refused a message: POST \/frames\/raw: 400 body not read whole/);
  }
});

Deno.test("rest: a client counts the server's refusals, and ends on time", async () => {
  // --max-bytes below a 480p frame: every frame is refused with a 413.
  const server = await tcpServer("--max-bytes", "1000");
  try {
    const strict = await restClient(server.ready.endpoint, ...SMALL, "--strict");
    assert.equal(strict.code, 1);
    assert.equal(strict.record?.status, "failed");
    assert.equal(strict.record!.errorKinds.refused, 1);
    assert.match(
      strict.record!.firstError!,
      /refused: 413 body of 921600 bytes is over the server's limit of 1000/,
    );
    // (--warmup 0.5, not 0: with no warm-up, runEcho is measuring from the
    // start and a run of refusals alone does not end; reported to the lead.)
    const run = await restClient(server.ready.endpoint, ...[
      "--size",
      "480p",
      "--warmup",
      "0.5",
      "--seconds",
      "0.5",
    ]);
    assert.equal(run.code, 1, "errors give exit code 1");
    assert.equal(run.record?.status, "ok");
    assert.equal(run.record?.verified, 0);
    assert.ok(run.record!.errorKinds.refused! >= 1);
  } finally {
    await stopClean(server);
  }
});

Deno.test("rest: the port in use, and the unix socket in use, are one clear line and exit 1", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/busy.sock`;
  const first = await tcpServer();
  const firstUnix = await startServer("rest:server", ["--endpoint", `unix://${path}`]);
  try {
    await assertEndpointsInUse("rest:server", [first.ready.endpoint, firstUnix.ready.endpoint], {
      says: /^rest:server: .* is in use by another (process|server)/,
    });
    const run = await restClient(firstUnix.ready.endpoint, ...SMALL, "--frames", "3");
    assert.equal(run.code, 0, run.stderr);
  } finally {
    await stopClean(first);
    await stopClean(firstUnix);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rest: a stale socket file left by a killed server is replaced", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/stale.sock`;
  const killed = await startServer("rest:server", ["--endpoint", `unix://${path}`]);
  await killed.stop("SIGKILL");
  assert.equal(await pathExists(path), true, "SIGKILL leaves the file");
  const server = await startServer("rest:server", ["--endpoint", `unix://${path}`]);
  try {
    const run = await restClient(server.ready.endpoint, ...SMALL, "--frames", "3");
    assert.equal(run.code, 0, run.stderr);
  } finally {
    await stopClean(server);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rest: a client with no server, or a silent one, fails in one line within its timeout", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const silent = (listener.addr as Deno.NetAddr).port;
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn); // accepts, never answers
  })();
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const refused = (closed.addr as Deno.NetAddr).port;
  closed.close();
  try {
    const started = performance.now();
    const quiet = await restClient(`http://127.0.0.1:${silent}`, ...SMALL, "--timeout", "1");
    assert.ok(performance.now() - started < 15000);
    assert.equal(quiet.code, 1);
    assert.equal(quiet.record?.status, "failed");
    assert.match(
      quiet.record!.reason!,
      /^no reply from http:\/\/127\.0\.0\.1:\d+ within 1 s: is `deno task rest:server` running there\?$/,
    );
    const gone = await restClient(`tcp://127.0.0.1:${refused}`, ...SMALL, "--timeout", "1");
    assert.equal(gone.code, 1);
    assert.match(
      gone.record!.reason!,
      /Connection refused: is `deno task rest:server` running there\?$/,
    );
    const dir = await Deno.makeTempDir();
    const none = await restClient(`unix://${dir}/none.sock`, ...SMALL, "--timeout", "1");
    await Deno.remove(dir, { recursive: true });
    assert.equal(none.code, 1);
    assert.match(
      none.record!.reason!,
      /No such file or directory: is `deno task rest:server` running there\?$/,
    );
  } finally {
    listener.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
  }
});

Deno.test("rest: a server listening beyond this machine says so", async () => {
  const server = await startServer("rest:server", ["--endpoint", "http://0.0.0.0:0"]);
  const stop = await stopClean(server);
  assert.match(
    stop.stderr,
    /^rest:server: listening on http:\/\/0\.0\.0\.0:0, beyond this machine: anyone who can reach it can send frames$/m,
  );
});

Deno.test("rest: bad flags exit with code 2 and one line", async () => {
  await assertUsageErrors(`
    rest:server --bogus
    rest:server --port 8080
    rest:server --endpoint http://127.0.0.1:70000
    rest:server --endpoint http://127.0.0.1:x
    rest:server --endpoint ipc:///tmp/x.sock
    rest:server --endpoint unix://
    rest:server --max-bytes 0
    rest:client --variant yuv
    rest:client --variant base64 --encoder fast
    rest:client --variant raw --encoder js
    rest:client --variant jpeg --quality 0
    rest:client --variant jpeg --quality 101
    rest:client --variant hex --quality 50
    rest:client --variant raw --min-psnr 20
    rest:client --in-flight 8
    rest:client --endpoint http://127.0.0.1:0
    rest:client --endpoint shm://frames
    rest:client --size huge
  `);
});
