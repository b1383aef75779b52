#!/usr/bin/env python3
"""A subscriber to `deno task shm:pub`, written from shm/README.md ("Stream mode") alone,
with Python's standard library: it maps the broadcast ring, takes a place in its cursor
table, reads every frame in place, checks its index stamps against the slot's properties
and the slot's sequence word before and after, and prints one JSON line:
{"frames", "dropped", "overwritten", "errors", "published"}.

    /usr/bin/python3 shm/testdata/readme_stream_peer.py --name framebench-stream

It polls the `published` word (0.2 ms naps) instead of a futex wait, and takes its place
without an atomic compare-and-swap (Python has none): it writes `claim` only where it reads
0 and checks it still holds its pid after a moment. Both are allowed by the README.
"""

import argparse
import json
import mmap
import os
import struct
import sys
import time

MAGIC = 0x4D534246  # "FBSM"
U32 = 1 << 32


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", default="framebench-stream")
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    path = "/dev/shm/" + args.name
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        sys.exit(f"no publisher at {path}")
    size = os.fstat(fd).st_size
    m = mmap.mmap(fd, size)
    os.close(fd)

    def u32(at):
        return struct.unpack_from("<I", m, at)[0]

    def put32(at, value):
        struct.pack_into("<I", m, at, value % U32)

    magic, version, kind, header_bytes, owner = struct.unpack_from("<IHHII", m, 0)
    if magic != MAGIC or kind != 3 or version != 1:
        sys.exit(f"{path} is not a framebench stream of version 1")
    slots, _fmt, width, height = struct.unpack_from("<IIII", m, 20)
    frame_bytes, stride = struct.unpack_from("<QQ", m, 40)
    places = u32(56)

    # Take a place: claim (where 0), then taken = released = published, then pid.
    pid = os.getpid()
    place = None
    for i in range(places):
        at = 256 + 32 * i
        if u32(at + 12) == 0:
            put32(at + 12, pid)
            time.sleep(0.001)
            if u32(at + 12) == pid:
                place = at
                break
    if place is None:
        sys.exit(f"{path}: no free place")
    start = u32(64)
    put32(place + 4, start)
    put32(place + 8, start)
    put32(place, pid)

    taken = start  # a full count: post p is in slot p % slots
    frames = dropped = overwritten = errors = 0
    expected = None  # the next frame index
    published = None
    last_frame = time.monotonic()
    try:
        while True:
            waiting = (u32(64) - taken) % U32
            if waiting >= U32 // 2:
                waiting = 0
            if waiting == 0:
                if u32(16) == 2:  # ended
                    published = struct.unpack_from("<Q", m, 72)[0]
                    if expected is not None:
                        dropped += max(0, published - expected)
                    break
                if time.monotonic() - last_frame > args.timeout:
                    try:
                        os.kill(owner, 0)
                    except ProcessLookupError:
                        sys.exit(f"the publisher (pid {owner}) is gone")
                    last_frame = time.monotonic()
                time.sleep(0.0002)
                continue
            if waiting > slots:
                taken += waiting - 1  # lapped: the newest frame
            q = taken
            taken += 1
            s = q % slots
            control = 1024 + 64 * s
            seq = (2 * q + 2) % U32
            if u32(control) != seq:
                continue  # overwritten already: a gap in the indices
            index, _sent_at, w, h = struct.unpack_from("<QdII", m, control + 8)
            if u32(control) != seq:
                continue
            put32(place + 8, q)  # released: everything before q
            put32(place + 4, q + 1)  # taken
            pixels = 4096 + s * stride
            head = struct.unpack_from("<Q", m, pixels)[0]
            tail = struct.unpack_from("<Q", m, pixels + frame_bytes - 8)[0]
            whole = u32(control) == seq
            put32(place + 8, q + 1)  # released
            put32(128, u32(128) + 1)  # the publisher may be waiting (block)
            last_frame = time.monotonic()
            if expected is None:
                expected = index
            if index > expected:
                dropped += index - expected
            expected = max(expected, index + 1)
            if not whole:
                overwritten += 1
                dropped += 1
                continue
            frames += 1
            if head != index or tail != index or (w, h) != (width, height):
                errors += 1
    finally:
        put32(place, 0)
        put32(place + 12, 0)
        put32(128, u32(128) + 1)
    print(json.dumps({
        "frames": frames,
        "dropped": dropped,
        "overwritten": overwritten,
        "errors": errors,
        "published": published,
    }))


if __name__ == "__main__":
    main()
