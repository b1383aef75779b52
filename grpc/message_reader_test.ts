import assert from "node:assert/strict";
import {
  BufferPool,
  messagePrefix,
  MessageReader,
  type ReceivedMessage,
} from "./message_reader.ts";
import { Status } from "./grpc_status.ts";

/** A reader fed `bytes` in pieces of at most `step`, as a connection would. */
function feed(bytes: Uint8Array, step: number, maxBytes = 1000) {
  const messages: ReceivedMessage[] = [];
  const errors: [number, string][] = [];
  let released = 0;
  const pool = new BufferPool();
  const reader = new MessageReader({
    maxBytes,
    pool,
    onMessage: (m) => messages.push(m),
    onError: (code, details) => errors.push([code, details]),
    release: (n) => released += n,
  });
  let at = 0;
  let dropped = 0;
  while (at < bytes.length) {
    const target = reader.target(Math.min(step, bytes.length - at));
    if (!target) {
      dropped = bytes.length - at;
      break;
    }
    assert.ok(target.length > 0);
    target.set(bytes.subarray(at, at + target.length));
    reader.written(target.length);
    at += target.length;
  }
  return { messages, errors, released: () => released, dropped, reader, pool };
}

function messages(...bodies: number[][]): Uint8Array {
  const parts = bodies.flatMap((b) => [...messagePrefix(b.length), ...b]);
  return Uint8Array.from(parts);
}

Deno.test("message reader: messages cut anywhere come out whole, zero-length too", () => {
  const wire = messages([1, 2, 3], [], [4, 5, 6, 7, 8, 9, 10]);
  for (const step of [1, 2, 3, 5, 7, 100]) {
    const { messages: got, errors, released } = feed(wire, step);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      got.map((m) => [...m.bytes]),
      [[1, 2, 3], [], [4, 5, 6, 7, 8, 9, 10]],
      `step ${step}`,
    );
    for (const m of got) m.release();
    assert.equal(released(), wire.length, "each message gives its window back once released");
  }
});

Deno.test("message reader: over the limit is refused at the prefix, nothing buffered; the rest dropped", () => {
  const wire = Uint8Array.from([...messagePrefix(0x7fffffff), 1, 2, 3, 4]);
  const { messages: got, errors, dropped, released, reader } = feed(wire, 3);
  assert.deepEqual(got, []);
  assert.deepEqual(errors, [[
    Status.RESOURCE_EXHAUSTED,
    "Received message larger than max (2147483647 vs 1000)",
  ]]);
  assert.equal(dropped, 4);
  assert.equal(released(), 5, "the prefix it kept is given back");
  assert.equal(reader.failed, true);
});

Deno.test("message reader: a compressed flag without an encoding is INTERNAL", () => {
  const wire = Uint8Array.from([1, 0, 0, 0, 1, 9]);
  const { errors } = feed(wire, 10);
  assert.equal(errors[0][0], Status.INTERNAL);
  const other = feed(Uint8Array.from([2, 0, 0, 0, 0]), 10);
  assert.match(other.errors[0][1], /flags 2/);
});

Deno.test("message reader: a message in progress is partial; discard gives its bytes back", () => {
  const { reader, released } = feed(Uint8Array.from([...messagePrefix(10), 1, 2, 3]), 100);
  assert.equal(reader.partial, true);
  reader.discard();
  assert.equal(released(), 8);
  assert.equal(reader.target(5), null);
});

Deno.test("buffer pool: a released buffer of the same length is handed out again, at most `keep` kept", () => {
  const pool = new BufferPool(2);
  const a = pool.take(10);
  pool.give(a);
  assert.equal(pool.take(10), a);
  assert.notEqual(pool.take(11), a);
  const [x, y, z] = [pool.take(4), pool.take(4), pool.take(4)];
  pool.give(x);
  pool.give(y);
  pool.give(z);
  assert.equal(pool.take(4), y, "the oldest (x) was dropped");
  assert.equal(pool.take(4), z);
  assert.notEqual(pool.take(4), x);
});
