"""The Python reference echo client: FrameEcho of proto/frames.proto on grpcio.

It does what framebench's clients do (common/echo.ts), in Python on Debian's
python3-grpcio (gRPC's C core): send frame i, wait for it to come back, verify
it, send the next; or keep --in-flight frames ahead on one EchoStream call.
Frames come from a pool of 8 distinct frames, each stamped with its index as
a u64 little-endian in its first and last 8 bytes (common/source.ts), and
every frame that comes back is checked: its size, its two stamps (torn,
stale, wrong index) and every byte against what was sent. It prints
framebench's result record (common/record.ts ResultRecord) as one JSON line
with --json. Started by grpc/python_reference.ts, which generates the
frames_pb2*.py modules into a temporary folder first:

    deno task grpc:python-client [--variant unary|stream] [--endpoint tcp://127.0.0.1:50051] [--size 1080p] [--json]
"""

import argparse
import ctypes
import json
import math
import platform
import queue
import resource
import signal
import struct
import sys
import threading
import time

import grpc

import frames_pb2
import frames_pb2_grpc

SIZES = {"480p": (640, 480), "720p": (1280, 720), "1080p": (1920, 1080), "4k": (3840, 2160)}
MESSAGE_OVERHEAD_BYTES = 64
POOL_SIZE = 8


class Refused(Exception):
    """A frame the server refused: counted, the run goes on."""


def parse_size(text):
    if text in SIZES:
        return SIZES[text]
    w, _, h = text.partition("x")
    return int(w), int(h)


def cpu_ms():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1000


def percentile(sorted_values, q):
    if not sorted_values:
        return 0
    rank = math.ceil(q * len(sorted_values))
    return sorted_values[min(len(sorted_values), max(1, rank)) - 1]


class FramePool:
    """8 distinct frames; frame i is pool frame i % 8 stamped with i."""

    def __init__(self, frame_bytes):
        ramp = bytes(range(256)) * (frame_bytes // 256 + 2)
        self.pool = [bytearray(ramp[p * 37:p * 37 + frame_bytes]) for p in range(POOL_SIZE)]

    def frame(self, index):
        frame = self.pool[index % POOL_SIZE]
        stamp = struct.pack("<Q", index)
        frame[:8] = stamp
        frame[-8:] = stamp
        return bytes(frame)  # the copy protobuf needs (bytes, not a bytearray)


def check(sent, received, index):
    """None when `received` is exactly frame `index` as sent; else (kind, message)."""
    if len(received) != len(sent):
        return "size", f"frame {index}: {len(received)} bytes, expected {len(sent)}"
    head, = struct.unpack_from("<Q", received, 0)
    tail, = struct.unpack_from("<Q", received, len(received) - 8)
    if head != tail:
        return "torn", f"frame {index}: torn, starts as frame {head} and ends as frame {tail}"
    if head != index:
        kind = "stale" if head < index else "wrong-index"
        return kind, f"frame {index}: carries the stamp of frame {head}"
    if received != sent:  # every byte (memcmp)
        at = next(i for i in range(len(sent)) if sent[i] != received[i])
        return "corrupt", f"frame {index}: bytes differ from offset {at} (of {len(sent)})"
    return None


def status_error(error, endpoint, timeout):
    code = error.code()
    if code in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INVALID_ARGUMENT):
        return Refused(f"{code.name}: {error.details()}")
    if code == grpc.StatusCode.UNAVAILABLE:
        return RuntimeError(f"the server at {endpoint} is unreachable or gone ({error.details()})")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return RuntimeError(f"no reply from {endpoint} within {timeout} s (deadline exceeded)")
    return RuntimeError(f"{code.name} from {endpoint}: {error.details()}")


class Unary:
    def __init__(self, stub, endpoint, timeout, in_flight):
        self.stub, self.endpoint, self.timeout = stub, endpoint, timeout
        self.in_flight = in_flight
        self.calls = []

    def send(self, message):
        self.calls.append(self.stub.Echo.future(message, timeout=self.timeout))

    def receive(self):
        try:
            return self.calls.pop(0).result()
        except grpc.RpcError as error:
            raise status_error(error, self.endpoint, self.timeout) from None

    def close(self):
        pass


class Stream:
    def __init__(self, stub, endpoint, timeout, in_flight):
        self.stub, self.endpoint, self.timeout = stub, endpoint, timeout
        self.in_flight = in_flight
        self.call = None

    def _open(self):
        outgoing = queue.Queue()

        def requests():
            while True:
                item = outgoing.get()
                if item is None:
                    return
                yield item

        self.outgoing = outgoing
        self.call = self.stub.EchoStream(requests())

    def send(self, message):
        if self.call is None:
            self._open()
        self.outgoing.put(message)

    def receive(self):
        # A reply that does not come within the timeout cancels the call.
        watchdog = threading.Timer(self.timeout, self.call.cancel)
        watchdog.start()
        try:
            return next(self.call)
        except grpc.RpcError as error:
            self.call = None
            if error.code() == grpc.StatusCode.CANCELLED and not watchdog.is_alive():
                raise RuntimeError(f"no reply from {self.endpoint} within {self.timeout} s") from None
            raise status_error(error, self.endpoint, self.timeout) from None
        except StopIteration:
            raise RuntimeError(f"{self.endpoint} ended the stream with frames in flight") from None
        finally:
            watchdog.cancel()

    def close(self):
        if self.call is not None:
            self.outgoing.put(None)
            self.call.cancel()


def main():
    parser = argparse.ArgumentParser(prog="grpc:python-client")
    parser.add_argument("--variant", choices=["unary", "stream"], default="unary")
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:50051")
    parser.add_argument("--size", default="1080p")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--warmup", type=float, default=1)
    parser.add_argument("--frames", type=int)
    parser.add_argument("--timeout", type=float, default=5)
    parser.add_argument("--in-flight", type=int)
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # die with the launcher (PR_SET_PDEATHSIG)
    width, height = parse_size(args.size)
    frame_bytes = width * height * 3
    # grpc/python_reference.ts passes --endpoint checked: tcp://HOST:PORT or unix:///ABSOLUTE.
    endpoint = args.endpoint
    target = endpoint[len("tcp://"):] if endpoint.startswith("tcp://") else endpoint
    in_flight = args.in_flight or (3 if args.variant == "stream" else 1)
    interrupted = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: interrupted.set())

    channel = grpc.insecure_channel(target, options=[
        ("grpc.max_receive_message_length", frame_bytes + MESSAGE_OVERHEAD_BYTES),
        ("grpc.enable_retries", 0),
    ])
    stub = frames_pb2_grpc.FrameEchoStub(channel)
    transport = (Stream if args.variant == "stream" else Unary)(stub, endpoint, args.timeout,
                                                                in_flight)
    pool = FramePool(frame_bytes)
    sent_frames, sent_at = {}, {}
    latencies, error_kinds = [], {}
    verified = errors = 0
    first_error = reason = None
    status = "ok"
    warmup_frames = 0
    measure_start = last = cpu_start = cpu_last = None
    start = time.perf_counter()
    deadline = start + args.warmup + args.seconds
    sent = done = 0
    stopping = False

    def count(kind, message):
        nonlocal errors, first_error
        errors += 1
        error_kinds[kind] = error_kinds.get(kind, 0) + 1
        if first_error is None:
            first_error = message
        if errors <= 3:
            print(f"error: {message}", file=sys.stderr)

    try:
        if args.warmup <= 0:
            measure_start = last = start
            cpu_start = cpu_last = cpu_ms()
        while not stopping or done < sent:
            if not stopping and interrupted.is_set():
                stopping, status, reason = True, "interrupted", "interrupted by signal"
            while not stopping and sent - done < in_flight:
                pixels = pool.frame(sent)
                sent_frames[sent % POOL_SIZE] = pixels
                sent_at[sent % POOL_SIZE] = time.perf_counter()
                transport.send(frames_pb2.Frame(
                    width=width, height=height, format=frames_pb2.RGB24, index=sent,
                    timestamp=time.time() * 1000, pixels=pixels))
                sent += 1
            if done == sent:
                continue
            index = done
            done += 1
            try:
                reply = transport.receive()
            except Refused as refused:
                count("refused", f"frame {index}: refused: {refused}")
                if args.strict:
                    raise RuntimeError(f"--strict: {first_error}") from None
                if time.perf_counter() >= deadline:
                    stopping = True
                continue
            now = time.perf_counter()
            latency = (now - sent_at[index % POOL_SIZE]) * 1000
            problem = (check(sent_frames[index % POOL_SIZE], reply.pixels, index)
                       if reply.index == index else
                       ("wrong-index", f"frame {index}: the transport says it is frame {reply.index}"))
            if problem:
                count(*problem)
                if args.strict:
                    raise RuntimeError(f"--strict: {first_error}")
            else:
                verified += 1
            if stopping:
                continue
            if measure_start is None:
                warmup_frames += 1
                if now - start >= args.warmup:
                    measure_start = last = now
                    cpu_start = cpu_last = cpu_ms()
                continue
            latencies.append(latency)
            last, cpu_last = now, cpu_ms()
            if (now - measure_start >= args.seconds or
                    (args.frames is not None and len(latencies) >= args.frames)):
                stopping = True
    except Exception as error:  # the transport broke: report what was measured
        status = "interrupted" if interrupted.is_set() else "failed"
        reason = "interrupted by signal" if interrupted.is_set() else str(error).split("\n")[0]
    finally:
        transport.close()
        channel.close()

    frames = len(latencies)
    seconds = (last - measure_start) if frames > 0 else 0
    fps = frames / seconds if seconds > 0 else 0
    ordered = sorted(latencies)
    record = {
        "transport": "grpc",
        "variant": args.variant,
        "endpoint": endpoint,
        "width": width,
        "height": height,
        "format": "rgb24",
        "frameBytes": frame_bytes,
        "frames": frames,
        "seconds": seconds,
        "fps": fps,
        "mbPerS": fps * frame_bytes / 1e6,
        "latencyMs": {"p50": percentile(ordered, 0.5), "p90": percentile(ordered, 0.9),
                      "p99": percentile(ordered, 0.99), "max": ordered[-1] if ordered else 0},
        "cpuMsPerFrame": (cpu_last - cpu_start) / frames if frames > 0 else 0,
        "verified": verified,
        "errors": errors,
        "errorKinds": error_kinds,
        "status": status,
        "runtime": {
            "deno": "none (Python)",
            "v8": "none",
            "typescript": "none",
            "platform": f"{platform.system().lower()} {platform.machine()}",
            "packages": {"python": platform.python_version(), "grpcio": grpc.__version__},
        },
    }
    if first_error is not None:
        record["firstError"] = first_error
    if reason is not None:
        record["reason"] = reason
    if args.json:
        print(json.dumps(record, separators=(",", ":")), flush=True)
    else:
        print(f"grpc {args.variant} {width}x{height} rgb24 over {endpoint} (grpcio): {status}"
              f"{f' ({reason})' if reason else ''}\n  {fps:.1f} fps, {frames} frames, "
              f"verified {verified}, errors {errors}", flush=True)
    if status == "failed" or errors > 0:
        return 1
    return 130 if status == "interrupted" else 0


if __name__ == "__main__":
    sys.exit(main())
