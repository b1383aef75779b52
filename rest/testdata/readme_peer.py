#!/usr/bin/env python3
"""An HTTP peer of framebench's REST server, written from rest/README.md alone.

    python3 readme_peer.py http://127.0.0.1:PORT MAX_BYTES

MAX_BYTES is the server's --max-bytes (at least one 1920x1080 frame). Sends
frames of random bytes through the raw, base64, hex and multipart routes and
checks that each comes back byte for byte, then requests the README says are
refused, and checks their status, headers and {"error": ...} body. Standard
library only. Prints one JSON line of what it did; exits 1 at the first
mismatch.
"""

import base64
import http.client
import json
import os
import sys
import urllib.parse
import uuid


def fail(message):
    print(f"readme_peer: {message}", file=sys.stderr)
    sys.exit(1)


class Server:
    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port
        self.connection = None

    def request(self, method, path, body=None, headers=None, send_body=True):
        """One request on a keep-alive connection (a new one after a close)."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        c = self.connection
        if send_body:
            c.request(method, path, body=body, headers=headers or {})
        else:
            # Only the head, with the length of a body that is never sent.
            c.putrequest(method, path)
            for name, value in (headers or {}).items():
                c.putheader(name, value)
            c.endheaders()
        response = c.getresponse()
        data = response.read()
        if response.getheader("connection", "").lower() == "close":
            c.close()
            self.connection = None
        return response, data


def raw_headers(width, height, index, fmt="rgb24"):
    return {
        "content-type": "application/octet-stream",
        "x-frame-width": str(width),
        "x-frame-height": str(height),
        "x-frame-format": fmt,
        "x-frame-index": str(index),
    }


def expect(response, data, status, error=None, headers=None):
    """A refusal: the status, one JSON line {"error": ...}, and the given headers."""
    if response.status != status:
        fail(f"status {response.status}, expected {status}: {data[:300]!r}")
    for name, value in (headers or {}).items():
        got = response.getheader(name) or ""
        # A header may come more than once: http.client joins the values with ", ".
        if value not in [v.strip() for v in got.split(",")]:
            fail(f"header {name}: {got!r}, expected {value!r}")
    if error is not None:
        if response.getheader("content-type") != "application/json":
            fail(f"an error with content-type {response.getheader('content-type')!r}")
        if data.count(b"\n") != 1 or not data.endswith(b"\n"):
            fail(f"an error body that is not one line: {data!r}")
        got = json.loads(data)["error"]
        if got != error:
            fail(f"error {got!r}, expected {error!r}")
    return f"{status} {error}" if error else str(status)


def main():
    server, max_bytes = Server(sys.argv[1]), int(sys.argv[2])
    echoed = []

    # raw: the frame as the body, back as the body with the same x-frame-* headers.
    for index, (width, height) in enumerate([(64, 48), (1920, 1080), (8, 8)]):
        frame = os.urandom(width * height * 3)
        response, data = server.request("POST", "/frames/raw", frame, raw_headers(width, height, index))
        if response.status != 200 or data != frame:
            fail(f"raw {width}x{height}: status {response.status}, {len(data)} bytes back")
        for name, value in raw_headers(width, height, index).items():
            if response.getheader(name) != value:
                fail(f"raw {width}x{height}: {name} is {response.getheader(name)!r}")
        echoed.append(f"raw {width}x{height}")

    # base64 and hex: JSON, the data decoded and encoded again.
    for route, encode, decode in [
        ("/frames/base64", lambda b: base64.b64encode(b).decode(), base64.b64decode),
        ("/frames/base64?encoder=js", lambda b: base64.b64encode(b).decode(), base64.b64decode),
        ("/frames/hex", lambda b: b.hex().upper(), bytes.fromhex),
    ]:
        frame = os.urandom(64 * 48 * 3)
        message = {"width": 64, "height": 48, "format": "rgb24", "index": 7, "data": encode(frame)}
        response, data = server.request(
            "POST", route, json.dumps(message), {"content-type": "application/json"}
        )
        if response.status != 200 or response.getheader("content-type") != "application/json":
            fail(f"{route}: status {response.status}: {data[:300]!r}")
        reply = json.loads(data)
        if list(reply) != ["width", "height", "format", "index", "data"]:
            fail(f"{route}: fields {list(reply)}")
        if decode(reply["data"]) != frame or reply["index"] != 7:
            fail(f"{route}: the frame came back changed")
        echoed.append(route)

    # multipart: upload (201 and a location), then download once.
    frame = os.urandom(64 * 48 * 3)
    boundary = uuid.uuid4().hex
    form = b""
    for name, value in [("width", "64"), ("height", "48"), ("format", "rgb24"), ("index", "9")]:
        form += f'--{boundary}\r\ncontent-disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    form += (
        f'--{boundary}\r\ncontent-disposition: form-data; name="frame"; filename="f.rgb"\r\n'
        "content-type: application/octet-stream\r\n\r\n"
    ).encode() + frame + f"\r\n--{boundary}--\r\n".encode()
    response, data = server.request(
        "POST", "/uploads", form, {"content-type": f"multipart/form-data; boundary={boundary}"}
    )
    if response.status != 201:
        fail(f"upload: status {response.status}: {data[:300]!r}")
    upload = json.loads(data)
    if upload["location"] != f"/uploads/{upload['id']}" or response.getheader("location") != upload["location"]:
        fail(f"upload: {upload}, location header {response.getheader('location')!r}")
    if (upload["index"], upload["bytes"]) != (9, len(frame)):
        fail(f"upload: {upload}")
    response, data = server.request("GET", upload["location"])
    if response.status != 200 or data != frame or response.getheader("x-frame-index") != "9":
        fail(f"download: status {response.status}, {len(data)} bytes")
    echoed.append("multipart")

    # Refusals, each as the README states it.
    frame = os.urandom(64 * 48 * 3)
    refused = [
        expect(
            *server.request("POST", "/frames/raw", frame[:100], raw_headers(64, 48, 1)),
            400,
            "body is 100 bytes, the stated 64x48 rgb24 needs 9216",
        ),
        # The format is a name, not a code.
        expect(
            *server.request("POST", "/frames/raw", frame, raw_headers(64, 48, 2, fmt="1")),
            400,
            'unknown pixel format "1"',
        ),
        expect(
            *server.request("POST", "/frames/raw", frame, {**raw_headers(64, 48, 3), "content-type": "text/plain"}),
            415,
            'content-type must be application/octet-stream, got "text/plain"',
        ),
        expect(
            *server.request("GET", "/frames/raw"),
            405,
            "/frames/raw takes POST, not GET",
            {"allow": "POST"},
        ),
        expect(
            *server.request("GET", upload["location"]),
            404,
            f'no upload "{upload["id"]}" (downloaded already?)',
        ),
        # Over --max-bytes: refused from the declared length, before the body is sent.
        expect(
            *server.request(
                "POST",
                "/frames/raw",
                headers={**raw_headers(1920, 1081, 4), "content-length": str(max_bytes + 1)},
                send_body=False,
            ),
            413,
            f"body of {max_bytes + 1} bytes is over the server's limit of {max_bytes}",
            {"connection": "close"},
        ),
    ]
    # The server goes on.
    response, data = server.request("POST", "/frames/raw", frame, raw_headers(64, 48, 5))
    if response.status != 200 or data != frame:
        fail(f"no echo after the refusals: status {response.status}")
    echoed.append("raw 64x48")
    print(json.dumps({"echoed": echoed, "refused": refused}))


if __name__ == "__main__":
    main()
