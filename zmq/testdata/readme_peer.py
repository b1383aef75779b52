#!/usr/bin/env python3
"""A ZeroMQ peer of framebench's zmq server, written from zmq/README.md alone.

    python3 readme_peer.py ENDPOINT MAX_BYTES

ENDPOINT is the server's --endpoint (ipc:///path or tcp://host:port),
MAX_BYTES its --max-bytes (at least one 1920x1080 frame). Sends frames of
random bytes on a REQ socket and checks that each comes back byte for byte,
then a malformed and an oversized request and their one-part JSON errors,
then a part over the server's part limit (4 x MAX_BYTES), which gets no reply.
Prints one JSON line of what it did; exits 1 with the first mismatch.
"""

import json
import os
import struct
import sys
import time

import zmq

MAGIC = 0x31504246
RGB24 = 1
NO_SLOT = 0xFFFF
WAIT_MS = 10_000


def properties(width, height, index):
    """The 32-byte frame properties: little-endian u32 u16 u16 u32 u32 u64 f64."""
    return struct.pack("<IHHIIQd", MAGIC, RGB24, NO_SLOT, width, height, index, time.time() * 1000)


def fail(message):
    print(f"readme_peer: {message}", file=sys.stderr)
    sys.exit(1)


def request(socket, parts, wait_ms=WAIT_MS):
    """Sends a request; returns the reply's parts, or None after wait_ms without one."""
    socket.send_multipart(parts)
    if socket.poll(wait_ms, zmq.POLLIN) == 0:
        return None
    return socket.recv_multipart()


def expect_error(socket, parts, reason):
    reply = request(socket, parts)
    if reply is None:
        fail(f"no reply, expected the error {reason!r}")
    if len(reply) != 1:
        fail(f"a reply of {len(reply)} parts, expected one part {{\"error\": {reason!r}}}")
    error = json.loads(reply[0].decode("utf-8")).get("error")
    if error != reason:
        fail(f"error {error!r}, expected {reason!r}")
    return error


def main():
    endpoint, max_bytes = sys.argv[1], int(sys.argv[2])
    context = zmq.Context()
    socket = context.socket(zmq.REQ)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint)

    # Frames of random bytes, each echoed: the same two parts, byte for byte.
    echoed = []
    for index, (width, height) in enumerate([(64, 48), (0, 0), (1920, 1080), (64, 48)]):
        head = properties(width, height, index)
        pixels = os.urandom(width * height * 3)
        reply = request(socket, [head, pixels])
        if reply is None:
            fail(f"no reply to the {width}x{height} frame {index}")
        if len(reply) != 2:
            fail(f"frame {index}: a reply of {len(reply)} parts: {reply[0][:200]!r}")
        if reply[0] != head:
            fail(f"frame {index}: the properties came back changed")
        if reply[1] != pixels:
            fail(f"frame {index}: the pixels came back changed")
        echoed.append(f"{width}x{height}")

    # A malformed request, and one over --max-bytes: one-part JSON errors.
    errors = [
        expect_error(
            socket,
            [properties(64, 48, 10), os.urandom(100)],
            "pixels are 100 bytes, the properties say 9216",
        ),
        expect_error(
            socket,
            [b"\0" * 32, os.urandom(10)],
            "frame properties start with 0x0, not the magic 0x31504246",
        ),
    ]
    width, height = 1920, max_bytes // (1920 * 3) + 1  # a few rows more than the limit allows
    size = width * height * 3
    errors.append(
        expect_error(
            socket,
            [properties(width, height, 11), os.urandom(size)],
            f"pixels are {size} bytes, over the server's --max-bytes of {max_bytes}",
        )
    )
    # The socket goes on after an error reply.
    head, pixels = properties(64, 48, 12), os.urandom(64 * 48 * 3)
    if request(socket, [head, pixels]) != [head, pixels]:
        fail("no echo after the error replies")

    # A part over the part limit (4 x --max-bytes): the connection is dropped,
    # no reply comes, and this REQ socket can send nothing more.
    part_limit = max(4 * max_bytes, 64 * 1024)
    if request(socket, [properties(1, 1, 13), bytes(part_limit + 1)], wait_ms=2000) is not None:
        fail("a reply to a part over the part limit")
    try:
        socket.send_multipart([properties(64, 48, 14), pixels])
        fail("a REQ socket still waiting for its reply could send again")
    except zmq.ZMQError as error:
        if error.errno != zmq.EFSM:
            fail(f"the second send failed with {error}, expected EFSM")
    socket.close()

    # A new socket is served.
    socket = context.socket(zmq.REQ)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint)
    if request(socket, [head, pixels]) != [head, pixels]:
        fail("a new socket was not served after the drop")
    socket.close()
    context.term()
    print(json.dumps({"echoed": echoed, "errors": errors, "dropped": part_limit + 1}))


if __name__ == "__main__":
    main()
