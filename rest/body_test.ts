import assert from "node:assert/strict";
import { BodyTooLarge, drainBody, readBody } from "./body.ts";
import { Scratch } from "./scratch.ts";

function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks);
}

Deno.test("readBody(): a declared length over the limit is refused before reading", async () => {
  const body = ReadableStream.from([new Uint8Array(101)]);
  const request = new Request("http://x/", {
    method: "POST",
    body,
    headers: { "content-length": "101" },
  });
  await assert.rejects(readBody(request, 100), BodyTooLarge);
  assert.equal(request.bodyUsed, false);
});

Deno.test("readBody(): a chunked body is counted and cut at the limit", async () => {
  const request = new Request("http://x/", {
    method: "POST",
    body: streamOf(new Uint8Array(60), new Uint8Array(60), new Uint8Array(1e6)),
  });
  await assert.rejects(readBody(request, 100), /chunked body passed the server's limit of 100/);
  const small = new Request("http://x/", {
    method: "POST",
    body: streamOf(new Uint8Array([1, 2]), new Uint8Array([3])),
  });
  assert.deepEqual([...await readBody(small, 100, new Scratch())], [1, 2, 3]);
});

Deno.test("readBody(): a bad content-length is a 400", async () => {
  const request = new Request("http://x/", {
    method: "POST",
    body: "abc",
    headers: { "content-length": "3x" },
  });
  await assert.rejects(
    readBody(request, 100),
    (e: Error & { status?: number }) => e.status === 400,
  );
});

Deno.test("drainBody(): drops a small body, refuses a large one", async () => {
  const small = new Request("http://x/", { method: "POST", body: new Uint8Array(10) });
  assert.equal(await drainBody(small, 100), true);
  const large = new Request("http://x/", { method: "POST", body: streamOf(new Uint8Array(200)) });
  assert.equal(await drainBody(large, 100), false);
});

// The server and the client reuse their frame buffers right after making a
// Request or Response from them; this holds because a byte body is copied
// when the Request or Response is made (Fetch standard, "extract a body").
Deno.test("a Request or Response takes a copy of a byte body when made", async () => {
  const bytes = new Uint8Array([1, 2, 3]);
  const response = new Response(bytes);
  const request = new Request("http://x/", { method: "POST", body: bytes });
  bytes.fill(9);
  assert.deepEqual([...await response.bytes()], [1, 2, 3]);
  assert.deepEqual([...await request.bytes()], [1, 2, 3]);
});
