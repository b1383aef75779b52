import assert from "node:assert/strict";
import { parseSize } from "../common/frame.ts";
import {
  checkPreamble,
  DOORWAY,
  LAYOUT_VERSION,
  LayoutError,
  MAX_SLOTS,
  Notify,
  PAGE_BYTES,
  PREAMBLE,
  readRingHeader,
  RING,
  ringBytes,
  ringLayout,
  SEGMENT_MAGIC,
  SegmentKind,
  SLOT,
  slotOffset,
  writeRingHeader,
} from "./layout.ts";

Deno.test("layout: a ring header reads back as written", () => {
  for (
    const [size, slots, notify] of [["1080p", 4, Notify.futex], ["64x48", 1, Notify.zmq]] as const
  ) {
    const layout = ringLayout(parseSize(size), slots, notify);
    const segment = new Uint8Array(ringBytes(layout));
    writeRingHeader(segment, layout, 4242);
    const read = readRingHeader(segment, "test");
    assert.deepEqual(read, { ...layout, ownerPid: 4242 });
    assert.equal(new DataView(segment.buffer).getUint32(0, true), SEGMENT_MAGIC);
    assert.equal(new TextDecoder().decode(segment.subarray(0, 4)), "FBSM");
    assert.equal(slotOffset(layout, 1) - slotOffset(layout, 0), layout.slotStride);
    assert.equal(layout.slotStride % PAGE_BYTES, 0);
    assert.ok(layout.slotStride >= layout.geometry.frameBytes);
  }
});

/**
 * The rows `| offset | type | \`field\` |` of README.md's layout tables, by
 * table: the preamble, the doorway, the ring header, the slot control block.
 */
function readmeTables(readme: string): Map<string, Map<string, number>> {
  const tables = new Map<string, Map<string, number>>();
  let heading = "";
  let table: Map<string, number> | undefined;
  for (const line of readme.split("\n")) {
    if (line.startsWith("#") || /^Slot control block/.test(line)) {
      heading = line;
      table = undefined;
      continue;
    }
    const row = /^\|\s*(\+?\d+)\s*\|[^|]*\|\s*`(\w+)`\s*\|/.exec(line);
    if (!row) continue;
    const name = heading.startsWith("### Preamble")
      ? "preamble"
      : heading.startsWith("### Doorway")
      ? "doorway"
      : heading.startsWith("Slot control block")
      ? "slot"
      : heading.startsWith("### Ring")
      ? "ring"
      : `other: ${heading}`;
    if (!table) tables.set(name, table = new Map());
    table.set(row[2], Number(row[1]));
  }
  return tables;
}

Deno.test("layout: every offset of README.md's tables is that of layout.ts, and every field is there", async () => {
  const readme = await Deno.readTextFile(new URL("./README.md", import.meta.url));
  const tables = readmeTables(readme);
  const code: Record<string, Record<string, number>> = {
    preamble: PREAMBLE,
    doorway: DOORWAY,
    ring: Object.fromEntries(Object.entries(RING).filter(([field]) => field !== "slots")),
    slot: Object.fromEntries(Object.entries(SLOT).filter(([field]) => field !== "bytes")),
  };
  assert.deepEqual([...tables.keys()].sort(), Object.keys(code).sort());
  for (const [name, fields] of Object.entries(code)) {
    assert.deepEqual(Object.fromEntries(tables.get(name)!), fields, `the ${name} table`);
  }
  assert.match(readme, new RegExp(`^## Layout \\(version ${LAYOUT_VERSION}\\)$`, "m"));
  assert.match(readme, new RegExp(`\\| \`version\`\\s*\\| layout version, ${LAYOUT_VERSION} `));
  assert.match(readme, new RegExp(`\`0x${SEGMENT_MAGIC.toString(16)}\``));
  assert.match(readme, new RegExp(`\\| 192 \\+ 64 s \\|`));
  assert.equal(RING.slots, 192);
  assert.equal(SLOT.bytes, 64);
});

Deno.test("layout: a wrong layout is refused with one clear line", () => {
  const layout = ringLayout(parseSize("480p"), 2);
  const good = () => {
    const s = new Uint8Array(ringBytes(layout));
    writeRingHeader(s, layout, 1);
    return s;
  };
  const cases: [(s: Uint8Array, v: DataView) => void, RegExp][] = [
    [
      (_, v) => v.setUint32(0, 0x12345678, true),
      /not a framebench segment \(starts with 0x12345678/,
    ],
    [
      (_, v) => v.setUint16(4, 1, true),
      /has layout version 1, this framebench reads version 2$/,
    ],
    [
      (_, v) => v.setUint16(4, LAYOUT_VERSION + 1, true),
      /has layout version 3, this framebench reads version 2$/,
    ],
    [(_, v) => v.setUint16(6, SegmentKind.doorway, true), /is a doorway segment, expected a ring/],
    [(_, v) => v.setUint32(RING.slotCount, MAX_SLOTS + 1, true), /33 slots, expected 1 to 32/],
    [(_, v) => v.setUint32(RING.width, 100000, true), /width must be/],
    [
      (_, v) => v.setBigUint64(RING.slotBytes, 10n, true),
      /10-byte slots, but 640x480 rgb24 frames are 921600/,
    ],
    [(_, v) => v.setUint32(RING.format, 9, true), /unknown pixel format 9/],
    [
      (_, v) => v.setBigUint64(RING.slotStride, 4096n, true),
      /slot stride/,
    ],
  ];
  for (const [spoil, message] of cases) {
    const s = good();
    spoil(s, new DataView(s.buffer));
    assert.throws(() => readRingHeader(s, "/dev/shm/x"), (e: Error) => {
      assert.ok(e instanceof LayoutError);
      assert.match(e.message, message);
      assert.equal(e.message.split("\n").length, 1);
      return true;
    });
  }
  // Too small for its header's claims.
  const s = good();
  assert.throws(() => readRingHeader(s.subarray(0, ringBytes(layout) - 1), "x"), /its header says/);
  assert.throws(() => checkPreamble(new Uint8Array(100), SegmentKind.ring, "x"), /too small/);
  assert.throws(() => ringLayout(parseSize("480p"), 0), /slots must be/);
});
