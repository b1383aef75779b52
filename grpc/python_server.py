"""The Python reference echo server: FrameEcho of proto/frames.proto on grpcio.

The same service as `deno task grpc:server`, on Debian's python3-grpcio (gRPC's
C core), so that the bench measures framebench's gRPC against what a Python
program gets out of the box. It prints framebench's ready and stopped lines
(common/server.ts) and stops cleanly on SIGINT or SIGTERM. Started by
grpc/python_reference.ts, which generates frames_pb2*.py into a temporary
folder first (nothing generated is committed):

    deno task grpc:python-server [--endpoint tcp://127.0.0.1:50051 | unix:///PATH] [--max-bytes N]
"""

import argparse
import ctypes
import json
import os
import resource
import signal
import sys
import threading
from concurrent import futures

import grpc

import frames_pb2
import frames_pb2_grpc

# The most bytes a Frame takes besides its pixels (grpc/frame_message.ts).
MESSAGE_OVERHEAD_BYTES = 64
DEFAULT_MAX_BYTES = 3840 * 2160 * 3


def cpu_ms():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1000


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.frames = 0
        self.refused = 0

    def frame(self):
        with self.lock:
            self.frames += 1

    def refuse(self, reason):
        with self.lock:
            self.refused += 1
            n = self.refused
        if n <= 5:
            print(f"grpc:server: refused a message: {reason}", file=sys.stderr, flush=True)


def whole_frame_problem(m):
    if m.format != frames_pb2.RGB24:
        return f"unknown pixel format {m.format}"
    if m.width <= 0 or m.height <= 0:
        return f"frame of {m.width}x{m.height} pixels"
    if m.offset != 0 or m.frame_bytes != 0:
        return f"a chunk (offset {m.offset} of {m.frame_bytes} bytes) where a whole frame was expected"
    expected = m.width * m.height * 3
    if len(m.pixels) != expected:
        return f"pixels are {len(m.pixels)} bytes, the frame needs {expected}"
    return None


class FrameEcho(frames_pb2_grpc.FrameEchoServicer):
    def __init__(self, stats, max_bytes):
        self.stats = stats
        self.max_bytes = max_bytes

    def _echoed(self, m, context):
        """Returns `m` to send back, or aborts the call with why it is refused."""
        size = len(m.pixels)
        if size > self.max_bytes:
            refusal = grpc.StatusCode.RESOURCE_EXHAUSTED, (
                f"pixels are {size} bytes, over the server's --max-bytes of {self.max_bytes}")
        else:
            problem = whole_frame_problem(m)
            refusal = (grpc.StatusCode.INVALID_ARGUMENT, problem) if problem else None
        if refusal:
            self.stats.refuse(f"{refusal[0].name}: {refusal[1]}")
            context.abort(*refusal)
        self.stats.frame()
        return m

    def Echo(self, request, context):
        return self._echoed(request, context)

    def EchoStream(self, request_iterator, context):
        # Whole frames only: the reference measures the default stream.
        for request in request_iterator:
            yield self._echoed(request, context)

def main():
    parser = argparse.ArgumentParser(prog="grpc:python-server")
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:50051")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    args = parser.parse_args()
    # Die with the launcher (grpc/python_reference.ts) even when it is killed.
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    limit = args.max_bytes + MESSAGE_OVERHEAD_BYTES
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        options=[("grpc.max_receive_message_length", limit),
                 ("grpc.max_send_message_length", limit)],
    )
    stats = Stats()
    frames_pb2_grpc.add_FrameEchoServicer_to_server(FrameEcho(stats, args.max_bytes), server)
    # grpc/python_reference.ts passes --endpoint checked: tcp://HOST:PORT or unix:///ABSOLUTE.
    endpoint = args.endpoint
    unix_path = endpoint[len("unix://"):] if endpoint.startswith("unix://") else None
    address = f"unix:{unix_path}" if unix_path else endpoint[len("tcp://"):]
    try:
        if server.add_insecure_port(address) == 0:
            raise RuntimeError("no port")
    except RuntimeError:
        print(f"grpc:python-server: {endpoint} is in use by another server", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_stop(*_):
        # The same Ctrl-C comes again (from the terminal and through the launcher, ms apart):
        # ignored from now on, because Python hands its signals back to their default action
        # while it exits, and a late copy would then kill it (exit code 130, not 0).
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_stop)
    server.start()
    cpu_start = cpu_ms()
    print(json.dumps({"event": "ready", "transport": "grpc", "endpoint": endpoint,
                      "pid": os.getpid()}, separators=(",", ":")), flush=True)
    while not stop.wait(0.2):
        pass
    server.stop(0).wait()
    if unix_path:
        try:
            os.remove(unix_path)
        except FileNotFoundError:
            pass
    print(json.dumps({"event": "stopped", "transport": "grpc", "frames": stats.frames,
                      "refused": stats.refused, "cpuMs": cpu_ms() - cpu_start},
                     separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
