#!/usr/bin/python3
"""A framebench shared-memory peer in Python, standard library only.

Speaks the layout and protocol of shm/README.md, as a client of the Deno
server or as a server for the Deno client:

    /usr/bin/python3 shm/peer.py server [--endpoint shm://framebench-shm] [--expect-source]
    /usr/bin/python3 shm/peer.py client [--endpoint shm://framebench-shm] [--size 640x480]
                                        [--slots 4] [--frames 100]

The server checks each frame's index stamps, writes the frame's CRC-32
(zlib.crc32, stamps included) in the slot's control block, and with
--expect-source also compares the frame with framebench's test pattern; the
client checks every verdict, every checksum and every byte it gets back.

Segments: shm_open/shm_unlink through ctypes (the names are those of
multiprocessing.shared_memory, which could open them too; it is not used
because its resource tracker would remove segments this process does not
own), mapped with mmap. Wake-ups: the futex system call through ctypes. The
exclusive doorway lock: fcntl.flock. Word reads and writes are aligned 4-byte
struct accesses, atomic on x86-64, and x86-64 keeps stores in order (TSO), which
is what the protocol's "state word last" needs; Python has no memory fences,
so this peer is for x86-64.

Copies of a frame: the client copies each frame into its slot (the one copy
of the transport); to compare a frame with the expected bytes this peer
slices it out of the mapping (a copy that a Python comparison needs, outside
the transport).
"""

import argparse
import ctypes
import errno
import fcntl
import json
import mmap
import os
import platform
import signal
import struct
import sys
import time
import zlib

MAGIC = 0x4D534246  # "FBSM"
VERSION = 2
PAGE = 4096
KIND_DOORWAY, KIND_RING = 1, 2
# Preamble
P_MAGIC, P_VERSION, P_KIND, P_HEADER, P_OWNER = 0, 4, 6, 8, 12
# Doorway
D_STATE, D_REQUEST, D_REQUEST_PID, D_REPLY, D_STATUS, D_LENGTH, D_TEXT = 16, 64, 68, 128, 132, 136, 140
REPLY_TEXT_BYTES = 256
# Ring
R_CLIENT_STATE, R_SERVER_PID, R_SERVER_STATE, R_NOTIFY = 16, 20, 24, 28
R_SLOT_COUNT, R_FORMAT, R_WIDTH, R_HEIGHT, R_SLOT_BYTES, R_SLOT_STRIDE = 32, 36, 40, 44, 48, 56
R_POSTED, R_ACKED, R_SLOTS = 64, 128, 192
# Slot control block
S_STATE, S_SEQ, S_INDEX, S_BYTES, S_SENT_AT, S_VERDICT, S_CHECKSUM, S_SIZE = 0, 4, 8, 16, 24, 32, 36, 64
EMPTY, WRITING, POSTED, ACKED, REFUSED = 0, 1, 2, 3, 4
CLIENT_OPEN, CLIENT_CLOSED = 1, 2
SERVER_ATTACHED, SERVER_LEFT = 1, 2
NOTIFY_FUTEX = 1
V_OK, V_TORN, V_STALE, V_CORRUPT, V_SIZE, V_WRONG_INDEX = 0, 1, 2, 3, 4, 5
MAX_SLOTS = 32

libc = ctypes.CDLL(None, use_errno=True)
libc.shm_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint]
libc.shm_unlink.argtypes = [ctypes.c_char_p]
SYS_FUTEX = 98 if platform.machine() in ("aarch64", "arm64") else 202
FUTEX_WAIT, FUTEX_WAKE = 0, 1


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class Segment:
    """A POSIX shared-memory segment mapped into this process."""

    def __init__(self, name, fd, size):
        self.name, self.fd, self.size = name, fd, size
        self.mm = mmap.mmap(fd, size)
        self._c = (ctypes.c_char * size).from_buffer(self.mm)
        self.base = ctypes.addressof(self._c)

    @staticmethod
    def create(name, size):
        fd = libc.shm_open(("/" + name).encode(), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        if fd < 0:
            e = ctypes.get_errno()
            if e == errno.EEXIST:
                return None
            raise OSError(e, f"shm_open /{name}: {os.strerror(e)}")
        try:
            os.ftruncate(fd, size)
            os.posix_fallocate(fd, 0, size)  # fail now, not with SIGBUS, on a small /dev/shm
        except OSError:
            os.close(fd)
            unlink(name)
            raise
        return Segment(name, fd, size)

    @staticmethod
    def open(name):
        fd = libc.shm_open(("/" + name).encode(), os.O_RDWR, 0)
        if fd < 0:
            e = ctypes.get_errno()
            if e == errno.ENOENT:
                return None
            raise OSError(e, f"shm_open /{name}: {os.strerror(e)}")
        return Segment(name, fd, os.fstat(fd).st_size)

    def u32(self, off):
        return struct.unpack_from("<I", self.mm, off)[0]

    def set_u32(self, off, value):
        struct.pack_into("<I", self.mm, off, value & 0xFFFFFFFF)

    def u64(self, off):
        return struct.unpack_from("<Q", self.mm, off)[0]

    def wait(self, off, expected, seconds):
        ts = Timespec(int(seconds), int((seconds % 1) * 1e9))
        libc.syscall(ctypes.c_long(SYS_FUTEX), ctypes.c_void_p(self.base + off), ctypes.c_int(FUTEX_WAIT),
                     ctypes.c_uint(expected & 0xFFFFFFFF), ctypes.byref(ts), ctypes.c_void_p(None), ctypes.c_int(0))

    def wake(self, off):
        libc.syscall(ctypes.c_long(SYS_FUTEX), ctypes.c_void_p(self.base + off), ctypes.c_int(FUTEX_WAKE),
                     ctypes.c_int(0x7FFFFFFF), ctypes.c_void_p(None), ctypes.c_void_p(None), ctypes.c_int(0))

    def close(self):
        del self._c  # the ctypes view pins the mapping
        self.mm.close()
        os.close(self.fd)


def unlink(name):
    return libc.shm_unlink(("/" + name).encode()) == 0


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        return stat[stat.rindex(")") + 2] not in "ZX"
    except OSError:
        return True


def client_gone(seg):
    """The client holds its ring's flock for life: taking it means the client ended."""
    try:
        fcntl.flock(seg.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def check_preamble(seg, kind, where):
    """Returns the owner pid, or raises ValueError with one clear line."""
    if seg.size < PAGE:
        raise ValueError(f"{where} is {seg.size} bytes, too small for a framebench segment")
    magic, version, found, header, owner = struct.unpack_from("<IHHII", seg.mm, 0)
    if magic != MAGIC:
        raise ValueError(f"{where} is not a framebench segment (starts with 0x{magic:08x})")
    if version != VERSION:
        raise ValueError(f"{where} has layout version {version}, this peer reads version {VERSION}")
    if found != kind or header != PAGE:
        raise ValueError(f"{where} is not a {'doorway' if kind == KIND_DOORWAY else 'ring'} segment")
    return owner


def write_preamble(seg, kind):
    struct.pack_into("<HHII", seg.mm, P_VERSION, VERSION, kind, PAGE, os.getpid())


# ---------------------------------------------------------------- frames
BARS = [(235, 235, 235), (235, 235, 16), (16, 235, 235), (16, 235, 16),
        (235, 16, 235), (235, 16, 16), (16, 16, 235), (16, 16, 16)]


class FrameSource:
    """The frames of common/source.ts, byte for byte: same pool, same pattern, same stamps."""

    def __init__(self, width, height):
        self.width, self.height, self.frame_bytes = width, height, width * height * 3
        self.pool_size = max(2, min(8, (256 * 1024 * 1024) // self.frame_bytes))
        self.pool = [self._paint(p) for p in range(self.pool_size)]

    def _paint(self, p):
        w, h = self.width, self.height
        shift = (p * w) // self.pool_size
        bars_height = (h * 3) // 4
        bars = bytearray(w * 3)
        ramp = bytearray(w * 3)
        for x in range(w):
            r, g, b = BARS[(((x + shift) % w) * 8) // w]
            bars[x * 3:x * 3 + 3] = bytes((r, g, b))
            v = 16 + (((x + shift) % w) * 220) // w
            ramp[x * 3:x * 3 + 3] = bytes((v, v, v))
        return bytearray(bytes(bars) * bars_height + bytes(ramp) * (h - bars_height))

    def frame(self, index):
        f = self.pool[index % self.pool_size]
        struct.pack_into("<Q", f, 0, index)
        struct.pack_into("<Q", f, len(f) - 8, index)
        return f

    def check(self, data, index):
        """Returns a verdict code: V_OK, or why the frame is not frame `index`."""
        verdict = check_stamps(data, index, self.frame_bytes)
        if verdict != V_OK:
            return verdict
        n = self.frame_bytes
        expected = self.pool[index % self.pool_size]
        return V_OK if data[8:n - 8] == memoryview(expected)[8:n - 8] else V_CORRUPT


def check_stamps(data, index, frame_bytes):
    """The verdict of a frame's size and index stamps, whatever its pixels."""
    n = frame_bytes
    if len(data) != n:
        return V_SIZE
    head, tail = struct.unpack_from("<Q", data, 0)[0], struct.unpack_from("<Q", data, n - 8)[0]
    if head != tail:
        return V_TORN
    if head != index:
        return V_STALE if head < index else V_WRONG_INDEX
    return V_OK


# ---------------------------------------------------------------- ring
class Ring:
    def __init__(self, seg):
        self.seg = seg
        (self.slot_count, fmt, self.width, self.height, self.slot_bytes,
         self.stride) = struct.unpack_from("<IIIIQQ", seg.mm, R_SLOT_COUNT)

    def control(self, s):
        return R_SLOTS + s * S_SIZE

    def slot(self, s):
        return PAGE + s * self.stride


def read_ring(seg, where):
    check_preamble(seg, KIND_RING, where)
    ring = Ring(seg)
    fmt = seg.u32(R_FORMAT)
    if not 1 <= ring.slot_count <= MAX_SLOTS:
        raise ValueError(f"{where} has {ring.slot_count} slots, expected 1 to {MAX_SLOTS}")
    if fmt != 1 or ring.slot_bytes != ring.width * ring.height * 3:
        raise ValueError(f"{where}: pixel format {fmt} with {ring.slot_bytes}-byte slots is not rgb24")
    if ring.stride < ring.slot_bytes or ring.stride % PAGE or PAGE + ring.slot_count * ring.stride > seg.size:
        raise ValueError(f"{where}: slots do not fit the segment")
    if seg.u32(R_NOTIFY) != NOTIFY_FUTEX:
        raise ValueError(f"{where} asks for ZeroMQ notification, which this peer does not speak")
    return ring


# ---------------------------------------------------------------- server
class Server:
    def __init__(self, name, expect_source=False, spoil_checksum_at=None):
        self.name, self.rings, self.frames, self.refused = name, [], 0, 0
        self.expect_source, self.spoil_checksum_at = expect_source, spoil_checksum_at
        self.sources = {}
        self.door = self._create_doorway()

    def _create_doorway(self):
        where = f"/dev/shm/{self.name}"
        for _ in range(5):
            seg = Segment.create(self.name, PAGE)
            if seg:
                write_preamble(seg, KIND_DOORWAY)
                seg.set_u32(D_STATE, 1)
                seg.set_u32(P_MAGIC, MAGIC)  # last: the doorway is complete
                return seg
            old = Segment.open(self.name)
            if old is None:
                continue
            try:
                owner = check_preamble(old, KIND_DOORWAY, where)
            except ValueError as e:
                old.close()
                raise SystemExit(f"peer server: {e}: remove it or choose another --endpoint")
            old.close()
            if alive(owner):
                raise SystemExit(f"peer server: {where} is in use by the server with pid {owner}")
            unlink(self.name)
            print(f"peer server: replaced the stale segment {where} left by pid {owner}", file=sys.stderr)
        raise SystemExit(f"peer server: cannot create {where}")

    def attach(self, pid):
        name = f"{self.name}.{pid}"
        seg = Segment.open(name)
        if seg is None:
            return f"/dev/shm/{name} does not exist"
        try:
            ring = read_ring(seg, f"/dev/shm/{name}")
            if seg.u32(P_OWNER) != pid:
                raise ValueError(f"/dev/shm/{name} belongs to pid {seg.u32(P_OWNER)}")
        except ValueError as e:
            seg.close()
            return str(e)
        unlink(name)
        seg.set_u32(R_SERVER_PID, os.getpid())
        seg.set_u32(R_SERVER_STATE, SERVER_ATTACHED)
        key = (ring.width, ring.height)
        if self.expect_source and key not in self.sources:
            self.sources[key] = FrameSource(ring.width, ring.height)
        ring.source, ring.next, ring.pid = self.sources.get(key), seg.u32(R_ACKED), pid
        self.rings.append(ring)
        return None

    def handle_request(self):
        door = self.door
        request, reply = door.u32(D_REQUEST), door.u32(D_REPLY)
        if request == reply:
            return False
        refusal = self.attach(door.u32(D_REQUEST_PID))
        text = (refusal or "").encode()[:REPLY_TEXT_BYTES]
        door.mm[D_TEXT:D_TEXT + len(text)] = text
        door.set_u32(D_LENGTH, len(text))
        door.set_u32(D_STATUS, 0 if refusal is None else 1)
        door.set_u32(D_REPLY, request)
        door.wake(D_REPLY)
        return True

    def serve(self, ring):
        seg, p = ring.seg, ring.next
        s = p % ring.slot_count
        c = ring.control(s)
        verdict, checksum = V_OK, 0
        if seg.u32(c + S_STATE) != POSTED:
            verdict = V_TORN if seg.u32(c + S_STATE) == WRITING else V_STALE
        elif seg.u32(c + S_SEQ) != p & 0xFFFFFFFF:
            verdict = V_STALE
        elif seg.u64(c + S_BYTES) != ring.slot_bytes:
            verdict = V_SIZE
        else:
            index = seg.u64(c + S_INDEX)
            off = ring.slot(s)
            data = seg.mm[off:off + ring.slot_bytes]  # a copy: Python compares bytes objects
            checksum = zlib.crc32(data)
            if p == self.spoil_checksum_at:
                checksum ^= 1  # for tests: a checksum that does not match the frame
            if ring.source is not None:
                verdict = ring.source.check(data, index)
            else:
                verdict = check_stamps(data, index, ring.slot_bytes)
            if seg.u32(c + S_STATE) != POSTED or seg.u32(c + S_SEQ) != p & 0xFFFFFFFF:
                verdict = V_TORN
        if verdict == V_OK:
            self.frames += 1
        else:
            self.refused += 1
            print(f"peer server: refused post {p} of client pid {ring.pid} (verdict {verdict})", file=sys.stderr)
        if seg.u32(c + S_SEQ) == p & 0xFFFFFFFF:
            seg.set_u32(c + S_VERDICT, verdict)
            seg.set_u32(c + S_CHECKSUM, checksum)
            seg.set_u32(c + S_STATE, ACKED if verdict == V_OK else REFUSED)
        ring.next = (p + 1) & 0xFFFFFFFF
        seg.set_u32(R_ACKED, ring.next)
        seg.wake(R_ACKED)

    def detach(self, ring):
        self.rings.remove(ring)
        ring.seg.set_u32(R_SERVER_STATE, SERVER_LEFT)
        ring.seg.wake(R_ACKED)
        ring.seg.close()

    def run(self, stop):
        print(json.dumps({"event": "ready", "transport": "shm", "endpoint": f"shm://{self.name}",
                          "pid": os.getpid()}), flush=True)
        idle_since = time.monotonic()
        while not stop:
            busy = self.handle_request()
            for ring in list(self.rings):
                while ring.seg.u32(R_POSTED) != ring.next:
                    self.serve(ring)
                    busy = True
            if busy:
                idle_since = time.monotonic()
                continue
            for ring in list(self.rings):
                if ring.seg.u32(R_CLIENT_STATE) == CLIENT_CLOSED or client_gone(ring.seg):
                    self.detach(ring)
            # Sleep on the first ring's posted word (or the doorway); a short
            # timeout lets the other words, the doorway and signals be seen.
            timeout = 0.002 if time.monotonic() - idle_since < 0.5 else 0.05
            if self.rings:
                self.rings[0].seg.wait(R_POSTED, self.rings[0].next, timeout)
            else:
                self.door.wait(D_REQUEST, self.door.u32(D_REQUEST), timeout)
        for ring in list(self.rings):
            self.detach(ring)
        self.door.set_u32(D_STATE, 2)
        self.door.close()
        unlink(self.name)
        print(json.dumps({"event": "stopped", "transport": "shm", "frames": self.frames,
                          "refused": self.refused}), flush=True)


# ---------------------------------------------------------------- client
def request_ring(name, timeout):
    where = f"/dev/shm/{name}"
    end = time.monotonic() + timeout
    while True:
        door = Segment.open(name)
        if door is not None:
            owner = check_preamble(door, KIND_DOORWAY, where)
            if door.u32(D_STATE) == 1 and alive(owner):
                break
            door.close()
        if time.monotonic() > end:
            raise SystemExit(f"peer client: no server at {where}")
        time.sleep(0.05)
    try:
        fcntl.flock(door.fd, fcntl.LOCK_EX)
        number = (door.u32(D_REQUEST) + 1) & 0xFFFFFFFF
        door.set_u32(D_REQUEST_PID, os.getpid())
        door.set_u32(D_REQUEST, number)
        door.wake(D_REQUEST)
        while door.u32(D_REPLY) != number:
            if time.monotonic() > end:
                raise SystemExit(f"peer client: no answer from the server at {where}")
            door.wait(D_REPLY, door.u32(D_REPLY), 0.1)
        if door.u32(D_STATUS) != 0:
            text = bytes(door.mm[D_TEXT:D_TEXT + door.u32(D_LENGTH)]).decode()
            raise SystemExit(f"peer client: the server refused the ring: {text}")
    finally:
        fcntl.flock(door.fd, fcntl.LOCK_UN)
        door.close()


def client(name, width, height, slots, frames, timeout, die_at=None):
    source = FrameSource(width, height)
    n = source.frame_bytes
    stride = (n + PAGE - 1) // PAGE * PAGE
    own = f"{name}.{os.getpid()}"
    seg = Segment.create(own, PAGE + slots * stride)
    if seg is None:
        unlink(own)
        seg = Segment.create(own, PAGE + slots * stride)
    fcntl.flock(seg.fd, fcntl.LOCK_EX)  # held for life: the server sees the client gone when it can take it
    try:
        write_preamble(seg, KIND_RING)
        struct.pack_into("<IIIIIQQ", seg.mm, R_NOTIFY, NOTIFY_FUTEX, slots, 1, width, height, n, stride)
        seg.set_u32(R_CLIENT_STATE, CLIENT_OPEN)
        seg.set_u32(P_MAGIC, MAGIC)
        try:
            request_ring(name, timeout)
        finally:
            unlink(own)
        ring = Ring(seg)
        verified = errors = posted = acked = 0
        in_flight = min(slots, 7)
        while acked < frames:
            while posted < frames and posted - acked < in_flight:
                s, c = posted % slots, ring.control(posted % slots)
                seg.set_u32(c + S_STATE, WRITING)
                off = ring.slot(s)
                if posted == die_at:
                    # For tests: die in the middle of writing a frame, after saying it was posted.
                    seg.mm[off:off + n // 2] = source.frame(posted)[:n // 2]
                    seg.set_u32(R_POSTED, posted + 1)
                    seg.wake(R_POSTED)
                    os.kill(os.getpid(), signal.SIGKILL)
                seg.mm[off:off + n] = source.frame(posted)  # the one copy: into the slot
                struct.pack_into("<QQdII", seg.mm, c + S_INDEX, posted, n, time.time() * 1000, 0, 0)
                seg.set_u32(c + S_SEQ, posted)
                seg.set_u32(c + S_STATE, POSTED)  # last: the frame is complete
                posted += 1
                seg.set_u32(R_POSTED, posted)
                seg.wake(R_POSTED)
            deadline = time.monotonic() + timeout
            while seg.u32(R_ACKED) == acked & 0xFFFFFFFF:
                if seg.u32(R_SERVER_STATE) == SERVER_LEFT or time.monotonic() > deadline:
                    raise SystemExit(f"peer client: no acknowledgement of frame {acked}")
                seg.wait(R_ACKED, acked, 0.1)
            s, c = acked % slots, ring.control(acked % slots)
            ok = seg.u32(c + S_STATE) == ACKED and seg.u32(c + S_SEQ) == acked
            # The server's checksum against the CRC-32 of the frame as sent.
            ok = ok and seg.u32(c + S_CHECKSUM) == zlib.crc32(source.frame(acked))
            off = ring.slot(s)
            if ok and source.check(seg.mm[off:off + n], acked) == V_OK:
                verified += 1
            else:
                errors += 1
            acked += 1
        seg.set_u32(R_CLIENT_STATE, CLIENT_CLOSED)
        seg.wake(R_POSTED)
        print(json.dumps({"frames": frames, "verified": verified, "errors": errors}), flush=True)
        return 0 if errors == 0 and verified == frames else 1
    finally:
        seg.close()


def main():
    parser = argparse.ArgumentParser(description="framebench shared-memory peer (Python stdlib)")
    parser.add_argument("role", choices=["server", "client"])
    parser.add_argument("--endpoint", default="shm://framebench-shm",
                        help="shm://NAME: the server's segment is /dev/shm/NAME")
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=5)
    parser.add_argument("--die-at", type=int, help="for tests: die while writing this frame")
    parser.add_argument("--expect-source", action="store_true",
                        help="server: also refuse frames that are not framebench's test pattern")
    parser.add_argument("--spoil-checksum-at", type=int,
                        help="for tests (server): report a wrong checksum for this post")
    args = parser.parse_args()
    if not args.endpoint.startswith("shm://"):
        parser.error(f"--endpoint must be shm://NAME, got {args.endpoint!r}")
    args.name = args.endpoint[len("shm://"):]
    if args.role == "server":
        stop = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.append(True))
        server = Server(args.name, args.expect_source, args.spoil_checksum_at)
        try:
            server.run(stop)
        except BaseException:
            unlink(args.name)
            raise
        return 0
    width, height = (int(v) for v in args.size.lower().split("x"))
    return client(args.name, width, height, args.slots, args.frames, args.timeout, args.die_at)


if __name__ == "__main__":
    sys.exit(main())
