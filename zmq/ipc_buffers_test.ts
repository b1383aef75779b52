import assert from "node:assert/strict";
import { IpcBuffers } from "./ipc_buffers.ts";
import { Context, Message, ZMQ } from "./libzmq.ts";

Deno.test({
  name: "IpcBuffers sets the socket buffers of each ipc connection, both sides",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const libc = Deno.dlopen("libc.so.6", {
      getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
    });
    const dir = await Deno.makeTempDir();
    const endpoint = `ipc://${dir}/buffers.sock`;
    const context = new Context();
    const server = context.socket(ZMQ.REP);
    const client = context.socket(ZMQ.REQ);
    const size = 1024 * 1024;
    const serverBuffers = new IpcBuffers(context, server, size);
    const clientBuffers = new IpcBuffers(context, client, size);
    try {
      server.bind(endpoint);
      client.connect(endpoint);
      assert.ok(client.sendParts([Message.copyOf(new Uint8Array(10))]));
      assert.ok(await server.wait(5000));
      const request = server.receiveParts()!;
      assert.ok(server.sendParts(request));
      assert.ok(await client.wait(5000));
      for (const part of client.receiveParts()!) part.close();
      serverBuffers.update();
      clientBuffers.update();
      assert.equal(serverBuffers.fds.length, 1, "the accepted connection");
      assert.equal(clientBuffers.fds.length, 1, "the connection made");
      for (const fd of [...serverBuffers.fds, ...clientBuffers.fds]) {
        for (const option of [7, 8]) { // SO_SNDBUF, SO_RCVBUF
          const value = new Int32Array(1);
          const len = new Uint32Array([4]);
          assert.equal(libc.symbols.getsockopt(fd, 1, option, value, len), 0);
          // Linux reports twice the size asked for (bookkeeping), capped by wmem_max/rmem_max.
          assert.ok(value[0] > 212992, `fd ${fd} option ${option}: ${value[0]} bytes`);
        }
      }
    } finally {
      serverBuffers.close();
      clientBuffers.close();
      client.close();
      server.close();
      context.term();
      libc.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
