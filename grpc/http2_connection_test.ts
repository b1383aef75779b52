// The HTTP/2 connection against a hand-driven peer on a real socket: what it
// reads (Huffman-coded and CONTINUATION-split headers, padded DATA, PING,
// SETTINGS) and what it writes (ACKs, DATA cut to the peer's frame size and
// windows, GOAWAY on a protocol error).
import assert from "node:assert/strict";
import { type HeaderField, hpackEncode } from "./hpack.ts";
import { huffmanEncode } from "./huffman.ts";
import {
  Http2Connection,
  type Http2ConnectionOptions,
  type Http2Stream,
  type StreamEvents,
} from "./http2_connection.ts";
import {
  ErrorCode,
  Flag,
  frame,
  FRAME_HEADER_BYTES,
  FrameType,
  goawayFrame,
  parseFrameHeader,
  PREFACE,
  readU32,
  Setting,
  settingsFrame,
  windowUpdateFrame,
} from "./http2_frames.ts";

/** The raw side of a socket pair: writes bytes, reads whole frames. */
class RawPeer {
  readonly conn: Deno.Conn;
  #buf = new Uint8Array(0);

  constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  async write(...parts: Uint8Array[]): Promise<void> {
    for (const p of parts) {
      let at = 0;
      while (at < p.length) at += await this.conn.write(p.subarray(at));
    }
  }

  async #need(n: number): Promise<boolean> {
    while (this.#buf.length < n) {
      const chunk = new Uint8Array(1 << 20);
      const got = await this.conn.read(chunk);
      if (got === null) return false;
      const joined = new Uint8Array(this.#buf.length + got);
      joined.set(this.#buf);
      joined.set(chunk.subarray(0, got), this.#buf.length);
      this.#buf = joined;
    }
    return true;
  }

  async bytes(n: number): Promise<Uint8Array> {
    assert.ok(await this.#need(n), "the connection ended");
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  /** The next frame, or null at the end of the connection. */
  async frame(): Promise<
    { type: number; flags: number; streamId: number; payload: Uint8Array } | null
  > {
    if (!(await this.#need(FRAME_HEADER_BYTES))) return null;
    const header = parseFrameHeader(await this.bytes(FRAME_HEADER_BYTES));
    return { ...header, payload: await this.bytes(header.length) };
  }

  /** Frames until one of `type` (returned); the others are collected in `seen`. */
  async until(type: number, seen: number[] = []) {
    for (;;) {
      const f = await this.frame();
      if (!f) throw new Error(`the connection ended before a frame of type ${type}`);
      if (f.type === type) return f;
      seen.push(f.type);
    }
  }
}

async function pair(): Promise<{ ours: Deno.Conn; peer: RawPeer; close(): void }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = await Deno.connect({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  const server = await accepted;
  listener.close();
  return {
    ours: server,
    peer: new RawPeer(client),
    close() {
      try {
        client.close();
      } catch { /* closed */ }
    },
  };
}

/**
 * Runs `test` with a started connection of `options` on one end of a socket
 * pair and a raw peer on the other, and closes both after it.
 */
async function withConnection(
  options: Http2ConnectionOptions,
  test: (connection: Http2Connection, peer: RawPeer) => Promise<void>,
): Promise<void> {
  const { ours, peer, close } = await pair();
  const connection = new Http2Connection(ours, options);
  connection.start();
  try {
    await test(connection, peer);
  } finally {
    connection.close();
    close();
  }
}

/** Stream events that collect what arrives. */
function collector() {
  const data: number[] = [];
  const headers: [string, string][][] = [];
  let ended = false;
  const scratch = new Uint8Array(7); // small targets: several per DATA frame
  const events: StreamEvents = {
    target: (max) => scratch.subarray(0, Math.min(max, scratch.length)),
    written: (n) => data.push(...scratch.subarray(0, n)),
    onHeaders: (fields) => headers.push(fields.map(([n, v]) => [n, v])),
    onEnd: () => ended = true,
    onReset: () => {},
  };
  return { events, data, headers, ended: () => ended };
}

Deno.test("http2 connection (server): Huffman and CONTINUATION headers, padded DATA, SETTINGS and PING answered", async () => {
  const c = collector();
  const { promise: opened, resolve } = Promise.withResolvers<[Http2Stream, [string, string][]]>();
  const onStream = (stream: Http2Stream, fields: HeaderField[]) => {
    stream.events = c.events;
    resolve([stream, fields.map(([n, v]) => [n, v])]);
  };
  await withConnection({ role: "server", onStream }, async (_connection, peer) => {
    // A header block with a Huffman-coded literal, cut in two by CONTINUATION.
    const path = huffmanEncode(new TextEncoder().encode("/framebench.FrameEcho/Echo"));
    const block = Uint8Array.from([
      0x83, // :method POST
      0x86, // :scheme http
      0x04, // :path, literal without indexing, static name index 4
      0x80 | path.length,
      ...path,
      ...hpackEncode([["content-type", "application/grpc"]]),
    ]);
    await peer.write(
      PREFACE,
      settingsFrame(new Map([[Setting.INITIAL_WINDOW_SIZE, 100000]])),
      frame(FrameType.HEADERS, 0, 1, block.subarray(0, 5)),
      frame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, block.subarray(5)),
      // Padded DATA: 1 pad-length byte, 20 data bytes, 3 bytes of padding.
      frame(
        FrameType.DATA,
        Flag.PADDED | Flag.END_STREAM,
        1,
        Uint8Array.from([3, ...Array.from({ length: 20 }, (_, i) => i), 0, 0, 0]),
      ),
      frame(FrameType.PING, 0, 0, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])),
    );
    const [stream, fields] = await opened;
    assert.equal(stream.id, 1);
    assert.deepEqual(fields, [
      [":method", "POST"],
      [":scheme", "http"],
      [":path", "/framebench.FrameEcho/Echo"],
      ["content-type", "application/grpc"],
    ]);
    const seen: number[] = [];
    const ping = await peer.until(FrameType.PING, seen);
    assert.equal(ping.flags, Flag.ACK);
    assert.deepEqual([...ping.payload], [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.ok(seen.includes(FrameType.SETTINGS), "its own SETTINGS and the ACK of ours");
    assert.deepEqual(c.data, Array.from({ length: 20 }, (_, i) => i));
    assert.equal(c.ended(), true);
    assert.equal(stream.sendWindow, 100000, "the peer's INITIAL_WINDOW_SIZE applies");
  });
});

Deno.test("http2 connection (client): DATA cut to the peer's 16 KiB frames and stalled by its window until WINDOW_UPDATE", async () => {
  await withConnection({ role: "client" }, async (connection, peer) => {
    assert.deepEqual(await peer.bytes(PREFACE.length), PREFACE);
    await peer.write(settingsFrame(new Map())); // defaults: 16 KiB frames, 65535-byte windows
    const stream = connection.openStream(collector().events);
    const payload = Uint8Array.from({ length: 100000 }, (_, i) => i % 251);
    let sent = false;
    const sending = connection.sendData(stream, [
      payload.subarray(0, 30000),
      payload.subarray(30000),
    ], true)
      .then(() => sent = true);
    const got: number[] = [];
    const sizes: number[] = [];
    while (got.length < 65535) {
      const f = await peer.until(FrameType.DATA);
      sizes.push(f.payload.length);
      got.push(...f.payload);
    }
    assert.equal(got.length, 65535, "exactly the initial window");
    assert.ok(sizes.every((n) => n <= 16384));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sent, false, "waits for the window");
    await peer.write(windowUpdateFrame(0, 100000), windowUpdateFrame(stream.id, 100000));
    let last;
    while (got.length < payload.length) {
      last = await peer.until(FrameType.DATA);
      got.push(...last.payload);
    }
    await sending;
    assert.deepEqual(Uint8Array.from(got), payload);
    assert.equal(last!.flags & Flag.END_STREAM, Flag.END_STREAM);
  });
});

Deno.test("http2 connection (server): a frame over the frame size, and a peer that is not HTTP/2, close the connection", async () => {
  await withConnection({ role: "server" }, async (connection, peer) => {
    // A PING of 9 bytes: FRAME_SIZE_ERROR, a connection error.
    await peer.write(
      PREFACE,
      settingsFrame(new Map()),
      frame(FrameType.PING, 0, 0, new Uint8Array(9)),
    );
    const goaway = await peer.until(FrameType.GOAWAY);
    assert.equal(readU32(goaway.payload, 4), ErrorCode.FRAME_SIZE_ERROR);
    await connection.closed;
  });
  await withConnection({ role: "server" }, async (connection, peer) => {
    await peer.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    await connection.closed;
    assert.match(connection.closeReason, /not an HTTP\/2 client/);
  });
});

Deno.test("http2 connection (client): RST_STREAM and GOAWAY end the streams they name, and no new stream opens", async () => {
  await withConnection({ role: "client" }, async (connection, peer) => {
    await peer.bytes(PREFACE.length);
    await peer.write(settingsFrame(new Map()));
    const resets: [number, number | undefined][] = [];
    const events = (id: () => number): StreamEvents => ({
      ...collector().events,
      onReset: (code) => resets.push([id(), code]),
    });
    const a: Http2Stream = connection.openStream(events(() => a.id));
    const b: Http2Stream = connection.openStream(events(() => b.id));
    const c: Http2Stream = connection.openStream(events(() => c.id));
    assert.deepEqual([a.id, b.id, c.id], [1, 3, 5]);
    await peer.write(
      frame(FrameType.RST_STREAM, 0, 1, Uint8Array.of(0, 0, 0, ErrorCode.CANCEL)),
      goawayFrame(3, ErrorCode.NO_ERROR),
    );
    while (resets.length < 2) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(resets, [[1, ErrorCode.CANCEL], [5, ErrorCode.REFUSED_STREAM]]);
    assert.equal(connection.usable, false);
    assert.throws(() => connection.openStream(collector().events), /going away/);
    assert.equal(b.closed, false, "stream 3 may still finish");
  });
});
