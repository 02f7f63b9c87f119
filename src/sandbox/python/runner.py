"""Trusted runner: the entry point of a sandbox that runs one `transform(df)` job, then exits.

Protocol with the parent (src/sandbox/runner/runner-process.ts):
  argv[1]  JSON settings: the limits of sandbox_limits.py, mode, and optionally
           `preload`, an input file to read before the job arrives
  fd 3     result channel: one "ready" line once pandas is imported, then one JSON
           header line and, on success, the output columns' bytes
  fd 0     the job: one JSON object, then end of file
  fd 1, 2  whatever the user's code prints; the parent caps and keeps it
The column encoding (input file and output) is described in src/table-transfer/frame.ts
and implemented in frame_io.py (src/table-transfer/python/, copied beside this file).

Files: this one (start-up, protocol, probe); sandbox_limits.py (rlimits); job.py (one
job: the guards, the user's code, its result); guards.py (builtins, audit hook);
sandbox_seccomp.py (the filters).

Layers, in order: rlimits (first thing), numexpr disabled, imports, then before user
code (job.py): CPU limit for the job, stdin closed, a seccomp filter that denies
process creation and sockets, a stateless audit hook, curated builtins with an
import allowlist. Once user code has run, this process is
assumed compromised: the parent treats everything it sends as untrusted.
"""

import json
import os
import sys

from frame_io import read_input
from job import run_job
from sandbox_limits import apply_limits

RESULT_FD = 3


def write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def send(message, body=()):
    write_all(RESULT_FD, (json.dumps(message) + "\n").encode("utf-8"))
    for part in body:
        write_all(RESULT_FD, part)


def probe(sandbox_seccomp):
    """Start-up self-test: the job filter must load and must stop fork."""
    sandbox_seccomp.install_job_filter()
    try:
        pid = os.fork()
    except PermissionError:
        return send({"event": "probe", "seccomp": True})
    if pid == 0:
        os._exit(0)
    send({"event": "probe", "seccomp": False})


def main():
    limits = json.loads(sys.argv[1])
    apply_limits(limits)
    # numexpr 2.8.4 evals its input (CVE-2023-39631); without it pandas uses its python engine.
    sys.modules["numexpr"] = None
    sys.modules["numba"] = None
    import numpy as np
    import pandas as pd

    import sandbox_seccomp

    # A sandbox primed for a session reads its input before the job arrives; nothing else
    # runs in this process before the job, so the frame is as fresh as one read later.
    preload = limits.get("preload")
    preloaded = None
    if preload:
        try:
            preloaded = read_input(preload, np, pd)
        except Exception:  # a MemoryError included: the job reads again and reports it
            preloaded = None
    send({
        "event": "ready", "python": sys.version.split()[0], "pandas": pd.__version__,
        "numpy": np.__version__, "preloaded": preloaded is not None,
    })
    if limits.get("mode") == "probe":
        return probe(sandbox_seccomp)
    job = json.loads(sys.stdin.buffer.read())
    if job["input_path"] != preload:
        preloaded = None
    try:
        run_job(job, np, pd, sandbox_seccomp, send, preloaded)
    except MemoryError:
        send({"status": "error", "kind": "memory"})


if __name__ == "__main__":
    status = 0
    try:
        main()
    except BaseException:
        # Only reachable before user code runs (run_job reports its own errors): a runner fault.
        import traceback

        traceback.print_exc()
        status = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        # Skip interpreter teardown: nothing user code registered (atexit, __del__) runs after the result.
        os._exit(status)
