/*
 * limits.c: what this machine allows for moving one video frame between two
 * processes, measured in C, so that framebench's transports can be shown as a
 * fraction of it ("vs C limit" in the bench's report).
 *
 *     limits TEST FRAME_BYTES [SECONDS]
 *
 * Each test runs a warm-up (0.5 s, or SECONDS if shorter), then 3
 * repetitions of SECONDS (default 1) each, and prints one line:
 *
 *     test=echo_unix bytes=6220800 fps=1253.3 min_fps=1230.5 max_fps=1291.5 gb_per_s=7.797 ...
 *
 * fps is the median repetition, min_fps and max_fps the slowest and fastest;
 * gb_per_s = fps * FRAME_BYTES / 1e9. A bad TEST, FRAME_BYTES or SECONDS is
 * one line on stderr and exit code 2; a failure while measuring is one line on
 * stderr and exit code 1. The second process of a test is forked, dies with
 * its parent (PR_SET_PDEATHSIG), and is killed and reaped on every way out;
 * shared memory is an anonymous shared mapping and unix sockets are socket
 * pairs, so nothing is ever left in /dev/shm or in the file system.
 *
 * See README.md beside this file for what each test measures.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
    REPS = 3,           /* timed repetitions; the median is the result */
    SLOTS = 4,          /* slots of the shared-memory ring */
    VERIFY_POOL = 8,    /* distinct frames of a verified echo, as the clients' frame source */
    MESSAGE_BYTES = 16, /* a notification over the unix socket of the shm_unix tests */
};

#define WARMUP_SECONDS 0.5
#define MAX_SECONDS 3600.0
#define MAX_FRAME_BYTES (1ull << 30)
#define SOCKET_BUFFER_BYTES (16 << 20)
#define VERIFY_POOL_BUDGET (256ull << 20) /* the clients' frame source keeps its pool under this */
#define MIN_POOL_BYTES (128ull << 20)     /* a pool side is at least this, and the cache size */
#define WAIT_SLICE_NS 100000000L          /* futex waits wake this often to check on the peer */

/* ------------------------------------------------------------------ the run */

static const char *test_name = "limits"; /* for messages, set once the test is known */
static size_t frame_bytes;
static double seconds = 1.0;
static size_t pool_mib; /* LIMITS_POOL_MIB, 0 when not set */

static pid_t peer;          /* the forked second process, 0 when none */
static int is_peer;         /* set in the forked process */
static char *peer_error;    /* shared page: the forked process's error message */
static volatile uint64_t sink; /* where sums go, so that reading is never optimized away */

/* Preformatted for the signal handler, which may only call async-signal-safe functions. */
static char interrupted_line[160], watchdog_line[160];

/* Kills the forked process, if any, and reaps it. Safe in a signal handler. */
static void stop_peer(void) {
    if (peer > 0) {
        kill(peer, SIGKILL);
        while (waitpid(peer, NULL, 0) < 0 && errno == EINTR) {
        }
        peer = 0;
    }
}

/*
 * Ends the run with one line on stderr. In the forked process the message is
 * left in the shared page for the parent to print, so that a failure is always
 * exactly one line.
 */
__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *format, ...) {
    char message[256];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    if (is_peer) {
        if (peer_error && !peer_error[0]) snprintf(peer_error, 256, "%s", message);
        _exit(1);
    }
    stop_peer();
    fprintf(stderr, "limits: %s: %s\n", test_name, message);
    exit(1);
}

/* The forked process has failed or gone: says why (its own words if it left any). */
__attribute__((noreturn)) static void fail_peer(const char *what) {
    if (is_peer) fail("%s", what);
    int status = 0;
    if (peer > 0) {
        kill(peer, SIGKILL);
        while (waitpid(peer, &status, 0) < 0 && errno == EINTR) {
        }
        peer = 0;
    }
    if (peer_error && peer_error[0]) fail("peer process: %s", peer_error);
    fail("%s", what);
}

static void on_signal(int number) {
    const char *line = number == SIGALRM ? watchdog_line : interrupted_line;
    stop_peer();
    ssize_t ignored = write(STDERR_FILENO, line, strlen(line));
    (void)ignored;
    _exit(number == SIGALRM ? 1 : 128 + number);
}

/* Signals: SIGPIPE ignored (a closed socket is an error return), the rest stop the run cleanly. */
static void handle_signals(void) {
    snprintf(interrupted_line, sizeof interrupted_line, "limits: %s: interrupted\n", test_name);
    snprintf(watchdog_line, sizeof watchdog_line,
             "limits: %s: no result in time (a process is stuck): stopped\n", test_name);
    struct sigaction action = {.sa_handler = on_signal};
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    sigaction(SIGALRM, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* The watchdog: the warm-up, the repetitions, and a minute for setting up and draining. */
    alarm((unsigned)(WARMUP_SECONDS + REPS * seconds) + 60);
}

/*
 * Forks the second process, which runs body(context) and exits 0 (or fails
 * through fail()). It dies with its parent, even if the parent is killed.
 */
static void start_peer(void (*body)(void *), void *context) {
    if (!peer_error) {
        peer_error = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (peer_error == MAP_FAILED) fail("mmap: %s", strerror(errno));
    }
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) fail("fork: %s", strerror(errno));
    if (pid == 0) {
        is_peer = 1;
        peer = 0;
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGALRM, SIG_DFL);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
        body(context);
        _exit(0);
    }
    peer = pid;
}

/* Waits for the second process to end after it was told to; fails if it did not end well. */
static void finish_peer(void) {
    int status = 0;
    pid_t pid = peer;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) fail("waitpid: %s", strerror(errno));
    }
    peer = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (peer_error && peer_error[0]) fail("peer process: %s", peer_error);
        fail("peer process ended with status %d", status);
    }
}

/* Has the second process ended (without being told to)? Checked while waiting on a futex. */
static void check_peer(void) {
    int status;
    if (peer > 0 && waitpid(peer, &status, WNOHANG) == peer) {
        peer = 0;
        fail_peer("peer process ended unexpectedly");
    }
}

/* ------------------------------------------------------------------ time and results */

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/*
 * Measures: one warm-up, then REPS repetitions of `run`, which works for about
 * the given seconds and returns frames per second. Prints the result line,
 * with `extra` (more key=value fields) at its end.
 */
static void measure(double (*run)(void *, double), void *context, const char *extra) {
    double fps[REPS];
    run(context, seconds < WARMUP_SECONDS ? seconds : WARMUP_SECONDS);
    for (int rep = 0; rep < REPS; rep++) fps[rep] = run(context, seconds);
    qsort(fps, REPS, sizeof fps[0], compare_doubles);
    double median = fps[REPS / 2];
    printf("test=%s bytes=%zu fps=%.1f min_fps=%.1f max_fps=%.1f gb_per_s=%.3f reps=%d seconds=%g%s%s\n",
           test_name, frame_bytes, median, fps[0], fps[REPS - 1], median * (double)frame_bytes / 1e9,
           REPS, seconds, extra[0] ? " " : "", extra);
    fflush(stdout);
}

/* ------------------------------------------------------------------ memory */

/* Bytes from one frame to the next in a buffer of frames: whole pages, so every frame is aligned. */
static size_t frame_stride(void) { return (frame_bytes + 4095) & ~(size_t)4095; }

/* Private memory for `count` frames, faulted in (so no test times page faults). */
static unsigned char *frames_alloc(size_t count) {
    size_t bytes = frame_stride() * count;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                   -1, 0);
    if (p == MAP_FAILED) fail("cannot map %zu MiB: %s", bytes >> 20, strerror(errno));
    memset(p, 0x5a, bytes);
    return p;
}

/* Fills a frame with pattern `seed`: words from splitmix64, so that distinct seeds differ. */
static void frame_fill(unsigned char *frame, uint64_t seed) {
    uint64_t x = seed * 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < frame_bytes; i += 8) {
        uint64_t z = (x += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        memcpy(frame + i, &z, frame_bytes - i < 8 ? frame_bytes - i : 8);
    }
}

/*
 * Reads every byte of a frame: the sum of its 64-bit words (and of the bytes
 * past the last whole word). Four sums, so that the loads do not wait on one
 * another. The frame must be 8-byte aligned (every frame here is page-aligned).
 */
static uint64_t frame_sum(const unsigned char *frame) {
    const uint64_t *words = (const uint64_t *)(const void *)frame;
    size_t n = frame_bytes / 8, i = 0;
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (; i + 4 <= n; i += 4) {
        a += words[i];
        b += words[i + 1];
        c += words[i + 2];
        d += words[i + 3];
    }
    for (; i < n; i++) a += words[i];
    for (size_t j = n * 8; j < frame_bytes; j++) b += frame[j];
    return a + b + c + d;
}

/* The last-level cache, as the C library reports it; 0 if unknown. */
static size_t cache_bytes(void) {
    long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE), l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    return l3 > 0 ? (size_t)l3 : l2 > 0 ? (size_t)l2 : 0;
}

/*
 * Frames in a pool larger than the cache: as many as fill the cache size, and
 * at least 128 MiB (LIMITS_POOL_MIB overrides), and at least 2 frames.
 */
static size_t pool_frames(void) {
    size_t bytes = pool_mib ? pool_mib << 20 : cache_bytes() > MIN_POOL_BYTES ? cache_bytes() : MIN_POOL_BYTES;
    size_t count = (bytes + frame_stride() - 1) / frame_stride();
    return count < 2 ? 2 : count;
}

struct memory_test {
    unsigned char *source, *destination; /* destination is NULL for the read tests */
    size_t frames;                       /* frames in each (1 when hot) */
    size_t next;
};

static double memory_run(void *context, double duration) {
    struct memory_test *t = context;
    size_t stride = frame_stride();
    uint64_t done = 0;
    double start = now(), elapsed;
    do {
        unsigned char *source = t->source + stride * t->next;
        if (t->destination) {
            unsigned char *destination = t->destination + stride * t->next;
            memcpy(destination, source, frame_bytes);
            __asm__ volatile("" : : "r"(destination) : "memory"); /* the copy is used */
        } else {
            sink += frame_sum(source);
        }
        if (++t->next == t->frames) t->next = 0;
        done++;
        elapsed = now() - start;
    } while (elapsed < duration);
    return (double)done / elapsed;
}

/* memcpy, memcpy_pool, readsum, readsum_pool: one process, no system call in the loop. */
static void test_memory(int copy, int pool) {
    struct memory_test t = {.frames = pool ? pool_frames() : 1};
    t.source = frames_alloc(t.frames);
    for (size_t i = 0; i < t.frames; i++) frame_fill(t.source + frame_stride() * i, i + 1);
    if (copy) t.destination = frames_alloc(t.frames);
    char extra[64];
    snprintf(extra, sizeof extra, "pool_frames=%zu", t.frames);
    measure(memory_run, &t, extra);
}

/* ------------------------------------------------------------------ sockets */

/* Writes all of buffer; 0 on success, -1 when the other side is gone or on error. */
static int write_full(int fd, const void *buffer, size_t bytes) {
    const unsigned char *p = buffer;
    while (bytes > 0) {
        ssize_t n = write(fd, p, bytes);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        bytes -= (size_t)n;
    }
    return 0;
}

/* Reads exactly `bytes`: 1 when read, 0 at end of stream before the first byte, -1 otherwise. */
static int read_full(int fd, void *buffer, size_t bytes) {
    unsigned char *p = buffer;
    size_t got = 0;
    while (got < bytes) {
        ssize_t n = read(fd, p + got, bytes - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) return got == 0 ? 0 : -1;
        got += (size_t)n;
    }
    return 1;
}

/* Asks for 16 MiB socket buffers (beyond the system's cap when allowed to). */
static void large_buffers(int fd) {
    int bytes = SOCKET_BUFFER_BYTES;
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

enum socket_kind { UNIX_SOCKET, TCP_SOCKET };

/*
 * Enters the network namespace /run/netns/NAME (made by `ip netns add`), for
 * the sockets made after it; a socket stays in the namespace it was made in.
 */
static void enter_netns(const char *name) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "/run/netns/%s", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("network namespace %s: %s", name, strerror(errno));
    if (setns(fd, CLONE_NEWNET) != 0) fail("enter network namespace %s: %s", name, strerror(errno));
    close(fd);
}

/*
 * A connected pair of stream sockets: fds[0] for this process, fds[1] for the
 * forked one. Unix: a socket pair (no file). TCP: 127.0.0.1, a port the system
 * chooses, TCP_NODELAY on both ends. Across a link (bench/link.ts):
 * LIMITS_TCP_HOST is the address to listen on instead of 127.0.0.1, and
 * LIMITS_TCP_NETNS=SERVER,CLIENT the network namespaces in which the
 * listening (echoing) side and the connecting (measuring) side are made.
 */
static void socket_pair(enum socket_kind kind, int fds[2]) {
    if (kind == UNIX_SOCKET) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
            fail("socketpair: %s", strerror(errno));
        large_buffers(fds[0]);
        large_buffers(fds[1]);
        return;
    }
    const char *host = getenv("LIMITS_TCP_HOST");
    const char *netns = getenv("LIMITS_TCP_NETNS");
    char server_ns[128] = "", client_ns[128] = "";
    if (!host || !*host) host = "127.0.0.1";
    if (netns && *netns) {
        const char *comma = strchr(netns, ',');
        if (!comma || comma == netns || !comma[1] || (size_t)(comma - netns) >= sizeof server_ns ||
            strlen(comma + 1) >= sizeof client_ns || strchr(netns, '/'))
            fail("LIMITS_TCP_NETNS must be SERVER,CLIENT (two namespace names), got \"%s\"", netns);
        memcpy(server_ns, netns, (size_t)(comma - netns));
        strcpy(client_ns, comma + 1);
    }
    struct sockaddr_in address = {.sin_family = AF_INET};
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1)
        fail("LIMITS_TCP_HOST must be an IPv4 address, got \"%s\"", host);
    socklen_t length = sizeof address;
    if (server_ns[0]) enter_netns(server_ns);
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) fail("socket: %s", strerror(errno));
    large_buffers(listener); /* before listen, so that the accepted socket scales its window to it */
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 1) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &length) != 0)
        fail("listen on %s: %s", host, strerror(errno));
    if (client_ns[0]) enter_netns(client_ns);
    fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fds[0] < 0) fail("socket: %s", strerror(errno));
    large_buffers(fds[0]);
    if (connect(fds[0], (struct sockaddr *)&address, sizeof address) != 0)
        fail("connect to %s:%d: %s", host, ntohs(address.sin_port), strerror(errno));
    fds[1] = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (fds[1] < 0) fail("accept: %s", strerror(errno));
    close(listener);
    int one = 1;
    setsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fds[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* The buffer sizes the system granted, for the result line. */
static void socket_extra(int fd, char *extra, size_t size) {
    int send = 0, receive = 0;
    socklen_t length = sizeof send;
    getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send, &length);
    length = sizeof receive;
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive, &length);
    snprintf(extra, size, "sndbuf=%d rcvbuf=%d", send, receive);
}

struct socket_test {
    int fd;                        /* this process's end */
    int peer_fd;                   /* the forked process's end */
    unsigned char *frame, *received;
    uint64_t sequence;             /* stream: the next frame number expected */
};

/* echo: the forked process reads each frame whole and writes it back, until end of stream. */
static void echo_peer(void *context) {
    struct socket_test *t = context;
    close(t->fd);
    for (;;) {
        int got = read_full(t->peer_fd, t->received, frame_bytes);
        if (got == 0) return;
        if (got < 0) fail("echo: read failed, or the stream ended inside a frame");
        if (write_full(t->peer_fd, t->received, frame_bytes) != 0) fail("echo: write: %s", strerror(errno));
    }
}

static double echo_run(void *context, double duration) {
    struct socket_test *t = context;
    uint64_t done = 0;
    double start = now(), elapsed;
    do {
        if (write_full(t->fd, t->frame, frame_bytes) != 0) fail_peer("the echo side closed its socket");
        if (read_full(t->fd, t->received, frame_bytes) != 1) fail_peer("the echo side closed its socket");
        done++;
        elapsed = now() - start;
    } while (elapsed < duration);
    return (double)done / elapsed;
}

/* Stamps frame number `sequence` into the first (up to) 8 bytes of a frame. */
static void stamp(unsigned char *frame, uint64_t sequence) {
    memcpy(frame, &sequence, frame_bytes < 8 ? frame_bytes : 8);
}

static uint64_t stamped(const unsigned char *frame) {
    uint64_t sequence = 0;
    memcpy(&sequence, frame, frame_bytes < 8 ? frame_bytes : 8);
    return sequence;
}

/* stream: the forked process writes numbered frames until this side closes its socket. */
static void stream_peer(void *context) {
    struct socket_test *t = context;
    close(t->fd);
    for (uint64_t sequence = 0;; sequence++) {
        stamp(t->frame, sequence);
        if (write_full(t->peer_fd, t->frame, frame_bytes) != 0) {
            if (errno == EPIPE || errno == ECONNRESET) return; /* the reader is done */
            fail("stream: write: %s", strerror(errno));
        }
    }
}

static double stream_run(void *context, double duration) {
    struct socket_test *t = context;
    uint64_t mask = frame_bytes >= 8 ? UINT64_MAX : (1ull << (8 * frame_bytes)) - 1;
    uint64_t done = 0;
    double start = now(), elapsed;
    do {
        if (read_full(t->fd, t->received, frame_bytes) != 1) fail_peer("the writing side closed its socket");
        if (stamped(t->received) != (t->sequence & mask))
            fail("stream: frame %llu arrived out of order", (unsigned long long)t->sequence);
        t->sequence++;
        done++;
        elapsed = now() - start;
    } while (elapsed < duration);
    return (double)done / elapsed;
}

/* echo_unix, echo_tcp, stream_unix, stream_tcp. */
static void test_socket(enum socket_kind kind, int echo) {
    struct socket_test t = {0};
    int fds[2];
    t.frame = frames_alloc(1);
    t.received = frames_alloc(1);
    frame_fill(t.frame, 1);
    socket_pair(kind, fds);
    t.fd = fds[0];
    t.peer_fd = fds[1];
    start_peer(echo ? echo_peer : stream_peer, &t);
    close(t.peer_fd);
    char extra[96];
    socket_extra(t.fd, extra, sizeof extra);
    measure(echo ? echo_run : stream_run, &t, extra);
    if (echo && memcmp(t.frame, t.received, frame_bytes) != 0) fail("echo: the frame came back changed");
    close(t.fd); /* end of stream: the echo side returns, the writing side gets EPIPE */
    finish_peer();
}

/* ------------------------------------------------------------------ the shared-memory ring */

/*
 * The ring's header, in a page of its own before the slots. Counters only go
 * up (modulo 2^32); frame n is in slot n % SLOTS. Each counter has a cache
 * line of its own, as each is written by one side only.
 */
struct ring_header {
    _Alignas(64) _Atomic uint32_t posted; /* frames posted by the producer: a futex word */
    _Alignas(64) _Atomic uint32_t acked;  /* frames read and acknowledged by the consumer: a futex word */
    _Alignas(64) _Atomic uint32_t stop;   /* set by the producer at the end */
};

enum notify { FUTEX_NOTIFY, UNIX_NOTIFY };

struct ring_test {
    enum notify notify;
    int verify;                   /* shm_*_verify: the work of a verified echo */
    struct ring_header *header;
    unsigned char *slots;
    int fd, peer_fd;              /* UNIX_NOTIFY: a socket pair for the 16-byte messages */
    unsigned char *frames;        /* what the producer copies in: 1 frame, or the verify pool */
    size_t pool;                  /* frames in `frames` */
    uint64_t *sums;               /* the word sum of each pool frame */
    uint64_t posted, acked;       /* the producer's counts */
    unsigned char pending[SLOTS * MESSAGE_BYTES]; /* UNIX_NOTIFY: acks read so far */
    size_t pending_bytes;
};

static unsigned char *slot(struct ring_test *t, uint64_t frame) {
    return t->slots + frame_stride() * (frame % SLOTS);
}

/*
 * Sleeps while *word == value, in slices, so that a peer process that dies
 * is noticed. Shared (not private) futex: the word is in memory shared by
 * two processes.
 */
static void futex_wait(_Atomic uint32_t *word, uint32_t value) {
    struct timespec slice = {0, WAIT_SLICE_NS};
    if (syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, value, &slice, NULL, 0) != 0 &&
        errno == ETIMEDOUT)
        check_peer();
}

static void futex_wake(_Atomic uint32_t *word) {
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* The consumer: reads every byte of each posted frame (and checks it, to verify), then acks. */
static void ring_peer(void *context) {
    struct ring_test *t = context;
    unsigned char message[MESSAGE_BYTES] = {0};
    uint64_t seen = 0;
    if (t->notify == UNIX_NOTIFY) close(t->fd);
    for (;;) {
        if (t->notify == FUTEX_NOTIFY) {
            uint32_t posted;
            while ((posted = atomic_load(&t->header->posted)) == (uint32_t)seen) {
                if (atomic_load(&t->header->stop)) return;
                futex_wait(&t->header->posted, posted);
            }
            if (atomic_load(&t->header->stop)) return; /* the last change of `posted` is the stop */
        } else {
            int got = read_full(t->peer_fd, message, sizeof message);
            if (got == 0) return; /* the producer closed its end: done */
            if (got < 0) fail("ring: read of a notification: %s", strerror(errno));
        }
        uint64_t sum = frame_sum(slot(t, seen));
        if (t->verify && sum != t->sums[seen % t->pool])
            fail("frame %llu did not arrive as sent", (unsigned long long)seen);
        sink += sum;
        seen++;
        if (t->notify == FUTEX_NOTIFY) {
            atomic_fetch_add(&t->header->acked, 1);
            futex_wake(&t->header->acked);
        } else if (write_full(t->peer_fd, message, sizeof message) != 0) {
            fail("ring: write of an ack: %s", strerror(errno));
        }
    }
}

/*
 * The producer: takes in the acks that have come. Verify: reads every byte of
 * each acknowledged frame again, as the echo's client checks what came back.
 */
static void ring_take_acks(struct ring_test *t, int block) {
    uint64_t acked = t->acked;
    if (t->notify == FUTEX_NOTIFY) {
        uint32_t now_acked = atomic_load(&t->header->acked);
        if (block && now_acked == (uint32_t)acked) {
            futex_wait(&t->header->acked, now_acked);
            now_acked = atomic_load(&t->header->acked);
        }
        acked += (uint32_t)(now_acked - (uint32_t)acked);
    } else if (block) {
        ssize_t n;
        do n = read(t->fd, t->pending + t->pending_bytes, sizeof t->pending - t->pending_bytes);
        while (n < 0 && errno == EINTR);
        if (n <= 0) fail_peer("the consumer closed its socket");
        size_t total = t->pending_bytes + (size_t)n; /* a partial message stays for the next read */
        acked += total / MESSAGE_BYTES;
        t->pending_bytes = total % MESSAGE_BYTES;
        memmove(t->pending, t->pending + total - t->pending_bytes, t->pending_bytes);
    }
    for (; t->acked < acked; t->acked++)
        if (t->verify && frame_sum(slot(t, t->acked)) != t->sums[t->acked % t->pool])
            fail("frame %llu did not come back as sent", (unsigned long long)t->acked);
}

/* The producer: waits until at most `outstanding` frames are unacknowledged. */
static void ring_wait(struct ring_test *t, uint64_t outstanding) {
    ring_take_acks(t, 0);
    while (t->posted - t->acked > outstanding) ring_take_acks(t, 1);
}

static void ring_post(struct ring_test *t) {
    memcpy(slot(t, t->posted), t->frames + frame_stride() * (t->posted % t->pool), frame_bytes);
    t->posted++;
    if (t->notify == FUTEX_NOTIFY) {
        atomic_store(&t->header->posted, (uint32_t)t->posted);
        futex_wake(&t->header->posted);
    } else {
        unsigned char message[MESSAGE_BYTES] = {0};
        uint64_t frame = t->posted - 1;
        uint32_t index = (uint32_t)(frame % SLOTS), bytes = (uint32_t)frame_bytes;
        memcpy(message, &frame, 8);
        memcpy(message + 8, &index, 4);
        memcpy(message + 12, &bytes, 4);
        if (write_full(t->fd, message, sizeof message) != 0) fail_peer("the consumer closed its socket");
    }
}

/* Frames acknowledged per second, from an empty ring to an empty ring. */
static double ring_run(void *context, double duration) {
    struct ring_test *t = context;
    ring_wait(t, 0);
    uint64_t first = t->acked;
    double start = now();
    do {
        ring_wait(t, SLOTS - 1);
        ring_post(t);
    } while (now() - start < duration);
    ring_wait(t, 0);
    return (double)(t->acked - first) / (now() - start);
}

/* shm_futex, shm_unix, shm_futex_verify, shm_unix_verify. */
static void test_ring(enum notify notify, int verify) {
    struct ring_test t = {.notify = notify, .verify = verify, .fd = -1, .peer_fd = -1};
    /* The verify pool is the clients' frame source's: 8 frames, fewer when 8 would pass 256 MiB. */
    size_t fit = (size_t)(VERIFY_POOL_BUDGET / frame_bytes);
    t.pool = verify ? (fit < 2 ? 2 : fit > VERIFY_POOL ? VERIFY_POOL : fit) : 1;
    t.frames = frames_alloc(t.pool);
    t.sums = calloc(t.pool, sizeof *t.sums);
    if (!t.sums) fail("out of memory");
    for (size_t i = 0; i < t.pool; i++) {
        frame_fill(t.frames + frame_stride() * i, i + 1);
        t.sums[i] = frame_sum(t.frames + frame_stride() * i);
    }
    /* Anonymous and shared: the two processes share it after fork, and it has no name to leave behind. */
    size_t bytes = 4096 + frame_stride() * SLOTS;
    unsigned char *ring = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE,
                               -1, 0);
    if (ring == MAP_FAILED) fail("cannot map the ring (%zu MiB): %s", bytes >> 20, strerror(errno));
    memset(ring, 0, bytes);
    t.header = (struct ring_header *)(void *)ring;
    t.slots = ring + 4096;
    if (notify == UNIX_NOTIFY) {
        int fds[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) fail("socketpair: %s", strerror(errno));
        t.fd = fds[0];
        t.peer_fd = fds[1];
    }
    start_peer(ring_peer, &t);
    if (t.peer_fd >= 0) close(t.peer_fd);
    char extra[64];
    snprintf(extra, sizeof extra, "slots=%d pool_frames=%zu", SLOTS, t.pool);
    measure(ring_run, &t, extra);
    atomic_store(&t.header->stop, 1);
    if (notify == FUTEX_NOTIFY) {
        atomic_fetch_add(&t.header->posted, 1); /* a change of the word, so that no wait sleeps on */
        futex_wake(&t.header->posted);
    } else {
        close(t.fd);
    }
    finish_peer();
}

/* ------------------------------------------------------------------ main */

struct test {
    const char *name;
    void (*run)(int, int);
    int a, b;
};

static void run_memory(int copy, int pool) { test_memory(copy, pool); }
static void run_echo(int kind, int unused) { (void)unused; test_socket((enum socket_kind)kind, 1); }
static void run_stream(int kind, int unused) { (void)unused; test_socket((enum socket_kind)kind, 0); }
static void run_ring(int notify, int verify) { test_ring((enum notify)notify, verify); }

static const struct test TESTS[] = {
    {"memcpy", run_memory, 1, 0},
    {"memcpy_pool", run_memory, 1, 1},
    {"readsum", run_memory, 0, 0},
    {"readsum_pool", run_memory, 0, 1},
    {"echo_unix", run_echo, UNIX_SOCKET, 0},
    {"echo_tcp", run_echo, TCP_SOCKET, 0},
    {"stream_unix", run_stream, UNIX_SOCKET, 0},
    {"stream_tcp", run_stream, TCP_SOCKET, 0},
    {"shm_futex", run_ring, FUTEX_NOTIFY, 0},
    {"shm_unix", run_ring, UNIX_NOTIFY, 0},
    {"shm_futex_verify", run_ring, FUTEX_NOTIFY, 1},
    {"shm_unix_verify", run_ring, UNIX_NOTIFY, 1},
};
enum { TEST_COUNT = sizeof TESTS / sizeof TESTS[0] };

static void print_tests(FILE *out, const char *separator) {
    for (int i = 0; i < TEST_COUNT; i++) fprintf(out, "%s%s", i ? separator : "", TESTS[i].name);
}

__attribute__((noreturn)) static void usage_error(const char *format, const char *value) {
    fprintf(stderr, "limits: ");
    fprintf(stderr, format, value);
    fprintf(stderr, "\n");
    exit(2);
}

int main(int argc, char **argv) {
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: limits TEST FRAME_BYTES [SECONDS]\ntests: ");
        print_tests(stdout, ", ");
        printf("\n");
        return 0;
    }
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "limits: usage: limits TEST FRAME_BYTES [SECONDS] (tests: ");
        print_tests(stderr, ", ");
        fprintf(stderr, ")\n");
        return 2;
    }
    const struct test *test = NULL;
    for (int i = 0; i < TEST_COUNT; i++)
        if (!strcmp(argv[1], TESTS[i].name)) test = &TESTS[i];
    if (!test) {
        fprintf(stderr, "limits: unknown test \"%s\" (tests: ", argv[1]);
        print_tests(stderr, ", ");
        fprintf(stderr, ")\n");
        return 2;
    }
    char *end;
    errno = 0;
    unsigned long long bytes = strtoull(argv[2], &end, 10);
    if (argv[2][0] < '0' || argv[2][0] > '9' || *end || errno || bytes < 1 || bytes > MAX_FRAME_BYTES)
        usage_error("FRAME_BYTES must be a whole number from 1 to 1073741824, got \"%s\"", argv[2]);
    frame_bytes = (size_t)bytes;
    if (argc == 4) {
        errno = 0;
        seconds = strtod(argv[3], &end);
        if (end == argv[3] || *end || errno || !isfinite(seconds) || seconds <= 0 || seconds > MAX_SECONDS)
            usage_error("SECONDS must be a number above 0 and at most 3600, got \"%s\"", argv[3]);
    }
    const char *mib = getenv("LIMITS_POOL_MIB");
    if (mib && *mib) {
        errno = 0;
        unsigned long long n = strtoull(mib, &end, 10);
        if (mib[0] < '0' || mib[0] > '9' || *end || errno || n < 1 || n > (1ull << 20))
            usage_error("LIMITS_POOL_MIB must be a whole number from 1 to 1048576, got \"%s\"", mib);
        pool_mib = (size_t)n;
    }
    test_name = test->name;
    handle_signals();
    test->run(test->a, test->b);
    return 0;
}
