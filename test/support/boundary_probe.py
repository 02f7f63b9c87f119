"""Attacks on the OS boundary alone, run by test/security.e2e-spec.ts.

Launched through the real SandboxProvider like runner.py, but with none of the
runner's Python layers (no audit hook, no curated builtins): plain Python with
ctypes. argv[1] is the runner's limits JSON, argv[2] a JSON object of targets.
It applies the same rlimits as the runner, then (for `--job-filter`) the same
seccomp filter, tries everything and prints one JSON object of outcomes.
"""

import ctypes
import errno
import json
import os
import resource
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sandbox_limits import apply_limits  # noqa: E402

LIMITS = json.loads(sys.argv[1])
TARGETS = json.loads(sys.argv[2])
apply_limits(LIMITS)
if TARGETS.get("job_filter"):
    import sandbox_seccomp

    sandbox_seccomp.install_job_filter()

libc = ctypes.CDLL(None, use_errno=True)
results = {}


def attempt(name, action):
    try:
        value = action()
        results[name] = {"ok": True, "value": value}
    except BaseException as exc:  # noqa: BLE001 - every failure is an outcome
        code = getattr(exc, "errno", None)
        results[name] = {"ok": False, "error": type(exc).__name__, "errno": errno.errorcode.get(code, code)}


def syscall(number, *args):
    ret = libc.syscall(number, *args)
    if ret == -1:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return ret


def read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def write(path, size=1):
    with open(path, "wb") as f:
        f.write(b"x" * size)
    return path


def fill_files(directory, size):
    count = 0
    while True:
        write(f"{directory}/fill{count}", size)
        count += 1


def fork():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def fork_exec():
    import _posixsubprocess

    r, w = os.pipe()
    return _posixsubprocess.fork_exec(
        [b"/usr/bin/true"], [b"/usr/bin/true"], True, (w,), None, None,
        -1, -1, -1, -1, -1, -1, r, w, False, False, -1, None, None, None, -1, None, False,
    )


def threads():
    done = []
    workers = [threading.Thread(target=lambda: done.append(1)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return len(done)


def open_many():
    handles = [open("/dev/null") for _ in range(LIMITS["open_files"] * 2)]
    return len(handles)


def allocate():
    hog = bytearray(LIMITS["memory_bytes"] * 2)
    return len(hog)


def mounts():
    lines = read("/proc/self/mountinfo").splitlines()
    out = []
    for line in lines:
        fields = line.split()
        out.append({"point": fields[4], "options": fields[5], "fs": fields[fields.index("-") + 1]})
    return out


def status_fields():
    fields = {}
    for line in read("/proc/self/status").splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return {k: fields.get(k) for k in ("Uid", "Gid", "CapEff", "CapPrm", "CapBnd", "NoNewPrivs", "Seccomp")}


def connect(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect((host, port))
    return "connected"


def proc_pids():
    return sorted(int(p) for p in os.listdir("/proc") if p.isdigit())


attempt("status", status_fields)
attempt("environ", lambda: read("/proc/self/environ"))
attempt("os_environ", lambda: dict(os.environ))
attempt("root_listing", lambda: sorted(os.listdir("/")))
attempt("mounts", mounts)
attempt("proc_pids", proc_pids)
attempt("net_dev", lambda: read("/proc/net/dev"))
for i, path in enumerate(TARGETS["host_files"]):
    attempt(f"host_file_{i}", lambda path=path: read(path))
attempt("server_environ", lambda: read(f"/proc/{TARGETS['server_pid']}/environ"))
for i, path in enumerate(TARGETS["write_paths"]):
    attempt(f"write_{i}", lambda path=path: write(path))
attempt("file_size_limit", lambda: list(resource.getrlimit(resource.RLIMIT_FSIZE)))
attempt("scratch_write", lambda: write("/tmp/ok"))
attempt("scratch_big_file", lambda: write("/tmp/big", LIMITS["file_bytes"] + 1))
attempt("scratch_fill", lambda: fill_files("/tmp", 1024 * 1024))
attempt("socket_inet", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).fileno())
attempt("connect_out", lambda: connect(TARGETS["outside_host"], TARGETS["outside_port"]))
attempt("fork", fork)
attempt("fork_exec", fork_exec)
if TARGETS.get("job_filter"):
    # Without the filter this would succeed and replace the probe itself.
    attempt("execve", lambda: os.execv("/usr/bin/true", ["true"]))
attempt("threads", threads)
attempt("kill_init", lambda: os.kill(1, 9))
attempt("kill_all", lambda: os.kill(-1, 9))
attempt("kill_server", lambda: os.kill(TARGETS["server_pid"], 0))
attempt("memfd", lambda: os.memfd_create("hog"))
attempt("open_many", open_many)
attempt("allocate", allocate)
# Raw syscalls the bubblewrap filter removes (x86_64 numbers).
attempt("unshare_user", lambda: syscall(272, 0x10000000))
attempt("mount", lambda: syscall(165, b"none", b"/tmp", b"tmpfs", 0, None))
attempt("ptrace", lambda: syscall(101, 0, 0, 0, 0))
attempt("bpf", lambda: syscall(321, 0, 0, 0))
attempt("io_uring", lambda: syscall(425, 1, 0))
attempt("keyctl", lambda: syscall(250, 0, 0))
attempt("perf_event", lambda: syscall(298, 0, 0, -1, -1, 0))
attempt("setns", lambda: syscall(308, 0, 0))
attempt("chroot", lambda: syscall(161, b"/tmp"))

print(json.dumps(results))
sys.stdout.flush()
if TARGETS.get("x32"):
    # A syscall through the x32 ABI would skip rules written for x86_64: the filter must kill.
    libc.syscall(0x40000000 | 59, b"/usr/bin/true", None, None)
    print("x32 syscall returned")
