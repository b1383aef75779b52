import assert from "node:assert/strict";
import { pathExists } from "./processes.ts";
import { PYTHON, python, pythonMissing } from "./python.ts";

Deno.test({
  name: "pythonMissing() says how to get a module that is not there, and nothing when it is",
  ignore: !(await pathExists(PYTHON)),
  async fn() {
    assert.equal(await pythonMissing({ json: "python3" }), undefined);
    assert.equal(
      await pythonMissing({ no_such_module_framebench: "python3-nothing" }),
      `${PYTHON} lacks no_such_module_framebench: apt-get install python3-nothing`,
    );
    const run = await python(["-c", "import sys; print(sys.argv[1]); sys.exit(3)", "hi"]);
    assert.deepEqual([run.code, run.stdout], [3, "hi\n"]);
  },
});
