"""A gRPC subscriber in Python for framebench's FramePublisher, from proto/frames.proto alone.

It proves that the stream mode's schema is usable outside Deno: run it
against the Deno publisher (`deno task grpc:pub`) with the modules that
grpc_tools.protoc generated from the schema on PYTHONPATH:

    python3 -m grpc_tools.protoc -I proto --python_out=OUT --grpc_python_out=OUT frames.proto
    PYTHONPATH=OUT python3 grpc/interop_subscriber.py 127.0.0.1:50052

It reads one Subscribe stream to its end and checks each frame: its size
against its width and height, its index stamps (the index as a little-endian
u64 in the first and last 8 bytes of the pixels, as framebench's frame
source writes them), indices rising, a publish time on this machine's
CLOCK_MONOTONIC (time.monotonic(), in ms) that is not in the future; and
that the stream ends with a 0x0 frame whose index is the number of frames
published, then status OK. It prints one JSON line with what it saw; exit
code 0 when all was right.
"""

import json
import struct
import sys
import time

import grpc

import frames_pb2
import frames_pb2_grpc


def main(target):
    result = {"frames": 0, "first": None, "published": None, "problems": []}
    last = -1
    # grpcio takes messages of 4 MB by default: a 1080p frame is 6.2 MB.
    options = [("grpc.max_receive_message_length", -1)]
    with grpc.insecure_channel(target, options=options) as channel:
        stub = frames_pb2_grpc.FramePublisherStub(channel)
        for frame in stub.Subscribe(frames_pb2.SubscribeRequest()):
            if frame.width == 0 and frame.height == 0:
                result["published"] = frame.index
                continue
            now = time.monotonic() * 1000
            size = frame.width * frame.height * 3
            head, = struct.unpack_from("<Q", frame.pixels, 0)
            tail, = struct.unpack_from("<Q", frame.pixels, len(frame.pixels) - 8)
            if frame.format != frames_pb2.RGB24 or len(frame.pixels) != size:
                result["problems"].append(f"frame {frame.index}: {len(frame.pixels)} bytes")
            elif head != frame.index or tail != frame.index:
                result["problems"].append(f"frame {frame.index}: stamps {head}, {tail}")
            elif frame.index <= last:
                result["problems"].append(f"frame {frame.index} after {last}")
            elif not 0 <= now - frame.timestamp < 60_000:
                result["problems"].append(f"frame {frame.index}: sent at {frame.timestamp}, now {now}")
            if result["first"] is None:
                result["first"] = frame.index
            last = frame.index
            result["frames"] += 1
    print(json.dumps(result))
    return 0 if not result["problems"] and result["published"] is not None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50052"))
