import assert from "node:assert/strict";
import { listenPrivately, unixSocketInUse } from "./unix_socket.ts";

Deno.test({
  name: "listenPrivately() binds in a private folder, then moves a 0600 socket into place",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/server.sock`;
    let listener: Deno.UnixListener | undefined;
    try {
      let folderMode = 0;
      listener = await listenPrivately(path, (at) => {
        folderMode = Deno.statSync(at.slice(0, at.lastIndexOf("/"))).mode! & 0o777;
        return Deno.listen({ transport: "unix", path: at });
      });
      assert.equal(folderMode, 0o700, "nobody else can reach the socket while it is set up");
      assert.equal(Deno.statSync(path).mode! & 0o777, 0o600);
      assert.equal(await unixSocketInUse(path), true, "clients connect at the final path");
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["server.sock"]);
    } finally {
      listener?.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "listenPrivately() passes a failure on and leaves nothing behind",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await assert.rejects(
        listenPrivately(`${dir}/server.sock`, () => {
          throw new Error("no such transport");
        }),
        /no such transport/,
      );
      assert.deepEqual([...Deno.readDirSync(dir)], []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
