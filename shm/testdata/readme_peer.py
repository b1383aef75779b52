#!/usr/bin/env python3
"""A framebench shared-memory client written from shm/README.md alone.

Standard library only. It makes its ring /dev/shm/NAME.PID (futex variant),
asks the server at /dev/shm/NAME to serve it, posts frames of random bytes
stamped with their index (u64 little-endian, first and last 8 bytes), waits
for each acknowledgement and checks its verdict (0) and its checksum
(zlib.crc32 of the frame posted). Prints one JSON line; exit code 0 when every
frame was acknowledged ok, 1 otherwise (with one line on stderr).

    python3 readme_peer.py --endpoint shm://NAME [--size 320x240] [--slots 2] [--frames 50]
"""
import argparse, ctypes, fcntl, json, mmap, os, platform, random, struct, sys, time, zlib

MAGIC, VERSION, PAGE = 0x4D534246, 2, 4096
SYS_FUTEX = 98 if platform.machine() in ("aarch64", "arm64") else 202
FUTEX_WAIT, FUTEX_WAKE = 0, 1  # shared futexes: never the _PRIVATE (128 + n) kinds
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class Segment:
    """A mapped /dev/shm file, its fd, its words."""

    def __init__(self, fd, size):
        self.fd, self.mm = fd, mmap.mmap(fd, size)
        # The mapping's address, for the futex calls (the temporary export is released at once).
        self.base = ctypes.addressof(ctypes.c_char.from_buffer(self.mm))

    def get(self, fmt, off):
        return struct.unpack_from("<" + fmt, self.mm, off)[0]

    def put(self, fmt, off, value):
        struct.pack_into("<" + fmt, self.mm, off, value)

    def wait(self, off, expected, seconds=0.1):
        ts = Timespec(0, int(seconds * 1e9))
        libc.syscall(ctypes.c_long(SYS_FUTEX), ctypes.c_void_p(self.base + off),
                     ctypes.c_int(FUTEX_WAIT), ctypes.c_uint(expected), ctypes.byref(ts), None, 0)

    def wake(self, off):
        libc.syscall(ctypes.c_long(SYS_FUTEX), ctypes.c_void_p(self.base + off),
                     ctypes.c_int(FUTEX_WAKE), ctypes.c_int(0x7FFFFFFF), None, None, 0)

    def close(self):
        self.mm.close()
        os.close(self.fd)  # also drops the flock


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except PermissionError:
        return True
    except ProcessLookupError:
        return False


def fail(message):
    print(f"readme_peer: {message}", file=sys.stderr)
    sys.exit(1)


def open_doorway(name, deadline):
    """Waits for the doorway: magic, version 2, kind 1, state 1, a live owner."""
    while True:
        try:
            door = Segment(os.open(f"/dev/shm/{name}", os.O_RDWR), PAGE)
            if door.get("I", 0) == MAGIC:
                if (door.get("H", 4), door.get("H", 6)) != (VERSION, 1):
                    fail(f"/dev/shm/{name}: version {door.get('H', 4)} kind {door.get('H', 6)}")
                if door.get("I", 16) == 1 and alive(door.get("I", 12)):
                    return door
            door.close()
        except (FileNotFoundError, ValueError):
            pass
        if time.monotonic() > deadline:
            fail(f"no server at /dev/shm/{name}")
        time.sleep(0.05)


def request(door, pid, deadline):
    """The doorway protocol; returns the refusal text, or None when the ring is served."""
    while True:
        try:
            fcntl.flock(door.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                fail("the doorway stays locked")
            time.sleep(0.005)
    try:
        door.put("I", 68, pid)
        number = (door.get("I", 64) + 1) % 2**32
        door.put("I", 64, number)
        door.wake(64)
        while (reply := door.get("I", 128)) != number:
            if time.monotonic() > deadline or not alive(door.get("I", 12)):
                fail("no answer from the server")
            door.wait(128, reply)
        if door.get("I", 132) == 0:
            return None
        return bytes(door.mm[140:140 + min(door.get("I", 136), 256)]).decode()
    finally:
        fcntl.flock(door.fd, fcntl.LOCK_UN)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="shm://framebench-shm")
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=5)
    args = parser.parse_args()
    args.name = args.endpoint.removeprefix("shm://")
    width, height = map(int, args.size.split("x"))
    frame_bytes = width * height * 3
    stride = -(-frame_bytes // PAGE) * PAGE
    pid, ring_path = os.getpid(), f"/dev/shm/{args.name}.{os.getpid()}"
    deadline = time.monotonic() + args.timeout
    door = open_doorway(args.name, deadline)
    # The ring: created, locked for life, header written with the magic last, then clientState 1.
    fd = os.open(ring_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    os.ftruncate(fd, PAGE + args.slots * stride)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    ring = Segment(fd, PAGE + args.slots * stride)
    try:
        for fmt, off, value in [("H", 4, VERSION), ("H", 6, 2), ("I", 8, PAGE), ("I", 12, pid),
                                ("I", 28, 1), ("I", 32, args.slots), ("I", 36, 1),
                                ("I", 40, width), ("I", 44, height), ("Q", 48, frame_bytes),
                                ("Q", 56, stride), ("I", 0, MAGIC), ("I", 16, 1)]:
            ring.put(fmt, off, value)
        refusal = request(door, pid, deadline)
    finally:
        try:
            os.unlink(ring_path)  # the server removes it when it accepts the ring
        except FileNotFoundError:
            pass
        door.close()
    if refusal is not None:
        ring.close()
        fail(f"the server refused the ring: {refusal}")
    ok = 0
    first_index = random.randrange(2**40)  # the producer's numbering, not the post number
    for p in range(args.frames):
        s, control, index = p % args.slots, 192 + 64 * (p % args.slots), first_index + p
        frame = bytearray(os.urandom(frame_bytes))
        frame[:8] = frame[-8:] = struct.pack("<Q", index)
        ring.put("I", control, 1)  # writing
        ring.mm[PAGE + s * stride:PAGE + s * stride + frame_bytes] = frame
        for fmt, off, value in [("Q", 8, index), ("Q", 16, frame_bytes),
                                ("d", 24, time.time() * 1000), ("I", 32, 0), ("I", 36, 0),
                                ("I", 4, p % 2**32), ("I", 0, 2)]:  # seq, then state posted
            ring.put(fmt, control + off, value)
        ring.put("I", 64, (p + 1) % 2**32)
        ring.wake(64)
        wait_until = time.monotonic() + args.timeout
        while not 0 < (ring.get("I", 128) - p) % 2**32 < 2**31:
            if ring.get("I", 24) == 2 or not alive(ring.get("I", 20)):
                fail(f"the server (pid {ring.get('I', 20)}) is gone")
            if time.monotonic() > wait_until:
                fail(f"no acknowledgement of post {p}")
            ring.wait(128, ring.get("I", 128))
        state, seq = ring.get("I", control), ring.get("I", control + 4)
        verdict, checksum = ring.get("I", control + 32), ring.get("I", control + 36)
        if (state, seq, verdict) != (3, p % 2**32, 0):
            fail(f"post {p}: state {state}, seq {seq}, verdict {verdict}")
        if checksum != zlib.crc32(frame):
            fail(f"post {p}: checksum {checksum:08x}, posted {zlib.crc32(frame):08x}")
        ok += 1
    ring.put("I", 16, 2)  # closed
    ring.wake(64)
    ring.close()
    print(json.dumps({"frames": args.frames, "ok": ok}))


if __name__ == "__main__":
    main()
