import assert from "node:assert/strict";
import { type HeaderField, HpackDecoder, hpackEncode, HpackError, STATIC_TABLE } from "./hpack.ts";

const hex = (s: string) =>
  Uint8Array.from(s.replace(/\s/g, "").match(/../g)!, (b) => parseInt(b, 16));

Deno.test("hpack: the static table has RFC 7541's 61 entries", () => {
  assert.equal(STATIC_TABLE.length, 61);
  assert.deepEqual(STATIC_TABLE[1], [":method", "GET"]);
  assert.deepEqual(STATIC_TABLE[30], ["content-type", ""]);
  assert.deepEqual(STATIC_TABLE[60], ["www-authenticate", ""]);
});

Deno.test("hpack: RFC 7541 C.2, header field representations", () => {
  const cases: [string, HeaderField, number][] = [
    ["400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572", [
      "custom-key",
      "custom-header",
    ], 55],
    ["040c 2f73 616d 706c 652f 7061 7468", [":path", "/sample/path"], 0],
    ["1008 7061 7373 776f 7264 0673 6563 7265 74", ["password", "secret"], 0],
    ["82", [":method", "GET"], 0],
  ];
  for (const [block, field, tableBytes] of cases) {
    const decoder = new HpackDecoder();
    assert.deepEqual(decoder.decode(hex(block)), [field]);
    assert.equal(decoder.tableBytes, tableBytes);
  }
});

const REQUESTS: HeaderField[][] = [
  [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"]],
  [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
    ["cache-control", "no-cache"],
  ],
  [
    [":method", "GET"],
    [":scheme", "https"],
    [":path", "/index.html"],
    [":authority", "www.example.com"],
    ["custom-key", "custom-value"],
  ],
];
const REQUEST_TABLES = [57, 110, 164];

for (
  const [section, blocks] of [
    ["C.3 (literals)", [
      "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
      "8286 84be 5808 6e6f 2d63 6163 6865",
      "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
    ]],
    ["C.4 (Huffman)", [
      "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
      "8286 84be 5886 a8eb 1064 9cbf",
      "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
    ]],
  ] as const
) {
  Deno.test(`hpack: RFC 7541 ${section}, three requests on one connection`, () => {
    const decoder = new HpackDecoder();
    blocks.forEach((block, i) => {
      assert.deepEqual(decoder.decode(hex(block)), REQUESTS[i]);
      assert.equal(decoder.tableBytes, REQUEST_TABLES[i]);
    });
    assert.deepEqual(decoder.table, [
      ["custom-key", "custom-value"],
      ["cache-control", "no-cache"],
      [":authority", "www.example.com"],
    ]);
  });
}

const DATE1 = "Mon, 21 Oct 2013 20:13:21 GMT";
const DATE2 = "Mon, 21 Oct 2013 20:13:22 GMT";
const LOCATION = "https://www.example.com";
const COOKIE = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
const RESPONSES: HeaderField[][] = [
  [[":status", "302"], ["cache-control", "private"], ["date", DATE1], ["location", LOCATION]],
  [[":status", "307"], ["cache-control", "private"], ["date", DATE1], ["location", LOCATION]],
  [
    [":status", "200"],
    ["cache-control", "private"],
    ["date", DATE2],
    ["location", LOCATION],
    ["content-encoding", "gzip"],
    ["set-cookie", COOKIE],
  ],
];

for (
  const [section, blocks] of [
    ["C.5 (literals)", [
      "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
      "4803 3330 37c1 c0bf",
      "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
    ]],
    ["C.6 (Huffman)", [
      "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
      "4883 640e ffc1 c0bf",
      "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
    ]],
  ] as const
) {
  Deno.test(`hpack: RFC 7541 ${section}, three responses with a 256-byte table (eviction)`, () => {
    const decoder = new HpackDecoder({ maxTableSize: 256 });
    // The peer announces the smaller table first, as the RFC's setting implies.
    decoder.decode(hex("3fe1 01")); // size update to 256
    const tables = [222, 222, 215];
    blocks.forEach((block, i) => {
      assert.deepEqual(decoder.decode(hex(block)), RESPONSES[i]);
      assert.equal(decoder.tableBytes, tables[i]);
    });
    assert.deepEqual(decoder.table, [
      ["set-cookie", COOKIE],
      ["content-encoding", "gzip"],
      ["date", DATE2],
    ]);
  });
}

Deno.test("hpack: what the encoder writes, the decoder reads (static indexes and literals)", () => {
  const fields: HeaderField[] = [
    [":status", "200"],
    [":method", "POST"],
    [":path", "/framebench.FrameEcho/Echo"],
    ["content-type", "application/grpc"],
    ["grpc-status", "0"],
    ["grpc-message", "x".repeat(300)],
  ];
  const block = hpackEncode(fields);
  assert.equal(block[0], 0x88); // :status 200 is static index 8
  assert.equal(block[1], 0x83); // :method POST is static index 3
  const decoder = new HpackDecoder();
  assert.deepEqual(decoder.decode(block), fields);
  assert.equal(decoder.tableBytes, 0, "the encoder never adds to the peer's table");
});

Deno.test("hpack: malformed blocks are refused", () => {
  const bad = [
    "80", // index 0
    "be", // index 62, empty dynamic table
    "ff ff ff ff ff 0f", // an integer over 2^31
    "ff", // a block that ends inside an integer
    "04 0c 2f73", // a string running past the block
    "04 81 00", // a Huffman string with zero padding
    "82 3f e1 1f", // a table size update after a field
    "3f e1 3f", // a table size update over the setting (8192, over 4096)
  ];
  for (const block of bad) {
    assert.throws(() => new HpackDecoder().decode(hex(block)), HpackError, block);
  }
  const small = new HpackDecoder({ maxHeaderListSize: 100 });
  assert.throws(() => small.decode(hpackEncode([["x", "y".repeat(100)]])), HpackError);
});
