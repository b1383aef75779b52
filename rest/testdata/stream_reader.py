#!/usr/bin/env python3
"""A reader of `deno task rest:pub`'s stream, written from rest/README.md
("Stream mode") alone, with Python's standard library.

    python3 stream_reader.py http://127.0.0.1:8081 | unix:///PATH

Reads GET /stream to its end part and prints one JSON line: the frames read,
the number published (from the end part), their geometry, whether the indexes
followed one another, and the one-way latency in ms (CLOCK_MONOTONIC).
"""

import http.client
import json
import socket
import sys
import time

BOUNDARY = b"--framebench-frame"


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def connection(endpoint):
    if endpoint.startswith("unix://"):
        return UnixConnection(endpoint[len("unix://"):])
    host, port = endpoint.split("://", 1)[1].rsplit(":", 1)
    return http.client.HTTPConnection(host, int(port))


def read_exactly(response, n):
    data = bytearray()
    while len(data) < n:
        chunk = response.read(n - len(data))
        if not chunk:
            raise SystemExit(f"the stream closed mid-frame ({len(data)} of {n} bytes)")
        data += chunk
    return bytes(data)


def main():
    conn = connection(sys.argv[1])
    conn.request("GET", "/stream")
    response = conn.getresponse()
    assert response.status == 200, response.status
    content_type = response.getheader("content-type")
    assert content_type == "multipart/x-mixed-replace; boundary=framebench-frame", content_type
    frames, indexes, latencies, sizes = 0, [], [], set()
    while True:
        line = response.readline()
        if not line:
            raise SystemExit("the stream closed without its end part")
        line = line.rstrip(b"\r\n")
        if line == b"":
            continue  # the CRLF after a part's bytes
        assert line == BOUNDARY, line
        headers = {}
        while True:
            line = response.readline().rstrip(b"\r\n")
            if line == b"":
                break
            name, value = line.decode("ascii").split(":", 1)
            headers[name.strip().lower()] = value.strip()
        width, height = int(headers["x-frame-width"]), int(headers["x-frame-height"])
        index, length = int(headers["x-frame-index"]), int(headers["content-length"])
        if width == 0 and height == 0:
            published = index
            break
        assert headers["x-frame-format"] == "rgb24"
        assert length == width * height * 3, (length, width, height)
        read_exactly(response, length)
        latencies.append(time.monotonic() * 1000 - float(headers["x-published-at"]))
        frames += 1
        indexes.append(index)
        sizes.add(f"{width}x{height}")
    closing = b""
    while closing == b"":  # after the CRLF that ends the end part's (empty) bytes
        closing = response.readline().rstrip(b"\r\n")
    print(json.dumps({
        "frames": frames,
        "published": published,
        "first": indexes[0] if indexes else None,
        "consecutive": indexes == list(range(indexes[0], indexes[0] + len(indexes))) if indexes else True,
        "sizes": sorted(sizes),
        "closing": closing.decode("ascii"),
        "latencyMs": {"min": min(latencies), "max": max(latencies)} if latencies else None,
    }))


if __name__ == "__main__":
    main()
