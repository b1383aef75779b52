"""A gRPC client in Python for framebench's FrameEcho, from proto/frames.proto alone.

It proves that the schema is usable outside Deno: run it against the Deno
server (`deno task grpc:server`) with the modules that grpc_tools.protoc
generated from the schema on PYTHONPATH:

    python3 -m grpc_tools.protoc -I proto --python_out=OUT --grpc_python_out=OUT frames.proto
    PYTHONPATH=OUT python3 grpc/interop_client.py 127.0.0.1:50051

It sends frames with Echo, with EchoStream (whole and in chunks), and one
frame whose pixels do not match its size, checks every echo byte for byte,
and prints one JSON line with what it saw. Exit code 0 when all was right.
"""

import json
import sys
import time

import grpc

import frames_pb2
import frames_pb2_grpc

WIDTH, HEIGHT = 64, 48
FRAME_BYTES = WIDTH * HEIGHT * 3


def make_frame(index):
    pixels = bytes((index * 31 + i) % 256 for i in range(FRAME_BYTES))
    return frames_pb2.Frame(
        width=WIDTH,
        height=HEIGHT,
        format=frames_pb2.RGB24,
        index=index,
        timestamp=time.time() * 1000,
        pixels=pixels,
    )


def chunks_of(frame, chunk_bytes):
    for offset in range(0, FRAME_BYTES, chunk_bytes):
        yield frames_pb2.Frame(
            width=frame.width,
            height=frame.height,
            format=frame.format,
            index=frame.index,
            timestamp=frame.timestamp,
            pixels=frame.pixels[offset:offset + chunk_bytes],
            offset=offset,
            frame_bytes=FRAME_BYTES,
        )


def main(target):
    result = {"unary": 0, "stream": 0, "chunked": 0, "refused": None}
    with grpc.insecure_channel(target) as channel:
        stub = frames_pb2_grpc.FrameEchoStub(channel)
        for index in range(5):
            sent = make_frame(index)
            back = stub.Echo(sent, timeout=10)
            assert back == sent, f"unary frame {index} came back different"
            result["unary"] += 1

        sent = [make_frame(index) for index in range(5, 10)]
        for got, want in zip(stub.EchoStream(iter(sent), timeout=10), sent):
            assert got == want, f"streamed frame {want.index} came back different"
            result["stream"] += 1

        frame = make_frame(10)
        chunks = list(chunks_of(frame, 1000))
        back = list(stub.EchoStream(iter(chunks), timeout=10))
        assert back == chunks, "chunks came back different"
        assert b"".join(c.pixels for c in back) == frame.pixels
        result["chunked"] = len(back)

        bad = make_frame(11)
        bad.pixels = bad.pixels[:100]
        try:
            stub.Echo(bad, timeout=10)
        except grpc.RpcError as error:
            result["refused"] = [error.code().name, error.details()]
    print(json.dumps(result))
    return 0 if result["refused"] and result["refused"][0] == "INVALID_ARGUMENT" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051"))
