import assert from "node:assert/strict";
import { FrameRefused } from "../common/echo.ts";
import {
  callFailure,
  decodeGrpcMessage,
  encodeGrpcMessage,
  formatTimeout,
  parseTimeout,
  Status,
  statusFromHttp,
  statusName,
} from "./grpc_status.ts";

Deno.test("grpc status: grpc-timeout values both ways", () => {
  assert.equal(parseTimeout("5000m"), 5000);
  assert.equal(parseTimeout("2S"), 2000);
  assert.equal(parseTimeout("1H"), 3_600_000);
  assert.equal(parseTimeout("100u"), 0.1);
  for (const bad of ["", "5000", "123456789m", "-1S", "1s", "1.5S"]) {
    assert.equal(parseTimeout(bad), undefined, bad);
  }
  assert.equal(formatTimeout(5000), "5000m");
  assert.equal(formatTimeout(0.2), "1m");
  assert.equal(parseTimeout(formatTimeout(1e9)), 1e9);
});

Deno.test("grpc status: grpc-message is percent-encoded UTF-8", () => {
  const text = "pixels are 100% wrong: ü\n";
  const encoded = encodeGrpcMessage(text);
  assert.equal(encoded, "pixels are 100%25 wrong: %C3%BC%0A");
  assert.equal(decodeGrpcMessage(encoded), text);
  assert.equal(decodeGrpcMessage("50%zz"), "50%zz", "a bad escape stays");
});

Deno.test("grpc status: names, HTTP statuses, and the client's one-line errors", () => {
  assert.equal(statusName(Status.RESOURCE_EXHAUSTED), "RESOURCE_EXHAUSTED");
  assert.equal(statusName(99), "99");
  assert.equal(statusFromHttp(404), Status.UNIMPLEMENTED);
  assert.equal(statusFromHttp(503), Status.UNAVAILABLE);
  assert.equal(statusFromHttp(415), Status.UNKNOWN);
  const url = "tcp://127.0.0.1:1";
  assert.ok(callFailure(Status.INVALID_ARGUMENT, "bad", url, 5) instanceof FrameRefused);
  assert.match(
    callFailure(Status.UNAVAILABLE, "connect ECONNREFUSED", url, 5).message,
    /unreachable or gone/,
  );
  assert.match(callFailure(Status.INTERNAL, "write EPIPE", url, 5).message, /unreachable or gone/);
  assert.match(callFailure(Status.CANCELLED, "x", url, 5).message, /cancelled the call/);
  assert.equal(
    callFailure(Status.DEADLINE_EXCEEDED, "x", url, 2).message,
    `no reply from ${url} within 2 s (deadline exceeded)`,
  );
});
