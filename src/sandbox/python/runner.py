"""Trusted runner: runs one `transform(df)` job inside the sandbox, then exits.

Protocol with the parent (src/sandbox/runner-process.ts):
  argv[1]  JSON settings: the limits of sandbox_limits.py, mode, and optionally
           `preload`, an input file to read before the job arrives
  fd 3     result channel: one "ready" line once pandas is imported, then one JSON
           header line and, on success, the output columns' bytes
  fd 0     the job: one JSON object, then end of file
  fd 1, 2  whatever the user's code prints; the parent caps and keeps it
The column encoding (input file and output) is described in src/sandbox/frame.ts and
implemented in frame_io.py.

Layers applied here, in order: rlimits (first thing), numexpr disabled, imports,
then before user code: CPU limit for the job, stdin closed, a seccomp filter
that denies process creation and sockets, a stateless audit hook, curated
builtins with an import allowlist. Once user code has run, this process is
assumed compromised: the parent treats everything it sends as untrusted.
"""

import json
import os
import sys

from frame_io import OutputError, encode_output, read_input
from sandbox_limits import apply_limits, limit_cpu_from_now

RESULT_FD = 3
USER_FILENAME = "<your code>"
ERROR_MESSAGE_MAX_CHARS = 2000


def write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def send(message, body=()):
    write_all(RESULT_FD, (json.dumps(message) + "\n").encode("utf-8"))
    for part in body:
        write_all(RESULT_FD, part)


# ---------------------------------------------------------------- user code


def describe_exception(exc, source_lines):
    line, where = None, None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == USER_FILENAME:
            line, where = tb.tb_lineno, code.co_name
        tb = tb.tb_next
    if line is None and isinstance(exc, SyntaxError) and exc.filename == USER_FILENAME:
        line = exc.lineno
    try:
        text = str(exc)
    except Exception:
        text = "<unprintable message>"
    message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if line is not None:
        location = f"line {line}" + (f" in {where}" if where and where != "<module>" else "")
        snippet = source_lines[line - 1].strip() if 0 < line <= len(source_lines) else ""
        message += f" ({location}: {snippet})" if snippet else f" ({location})"
    return message[:ERROR_MESSAGE_MAX_CHARS]


def curated_builtins(allowed_imports, forbidden):
    import builtins

    def guarded_import(
        name, globals=None, locals=None, fromlist=(), level=0,
        _allowed=frozenset(allowed_imports), _real=builtins.__import__, _error=ImportError,
    ):
        if level != 0:
            raise _error("relative imports are not allowed")
        if name.partition(".")[0] not in _allowed:
            raise _error(f"import of '{name}' is not allowed in the sandbox")
        return _real(name, globals, locals, fromlist, level)

    keep = {"__build_class__", "__name__"}
    curated = {
        key: value
        for key, value in vars(builtins).items()
        if key not in forbidden and (not key.startswith("_") or key in keep)
    }
    for name in ("exit", "quit", "copyright", "credits", "license"):
        curated.pop(name, None)
    curated["__import__"] = guarded_import
    return curated


def make_audit_hook(read_prefixes):
    """Stateless: a pure function of (event, args); everything it needs is frozen in defaults,
    so user code that reaches this module's globals cannot change its decisions."""
    import posix

    blocked_prefixes = (
        "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "os.forkpty", "os.system",
        "os.kill", "os.killpg", "os.chmod", "os.chown", "os.chflags", "os.link", "os.symlink",
        "os.mkdir", "os.mkfifo", "os.mknod", "os.remove", "os.rename", "os.rmdir",
        "os.truncate", "os.utime", "os.setxattr", "os.removexattr", "os.putenv", "os.unsetenv",
        "subprocess.", "pty.", "socket.", "ctypes.", "shutil.", "pickle.", "sqlite3.",
        "code.__new__", "sys.settrace", "sys.setprofile", "webbrowser.", "urllib.",
        "http.", "ftplib.", "smtplib.", "imaplib.", "poplib.", "nntplib.", "telnetlib.",
    )
    blocked_imports = frozenset(
        ("ctypes", "_ctypes", "socket", "_socket", "subprocess", "_posixsubprocess",
         "multiprocessing", "pty", "mmap", "fcntl", "resource", "signal", "_signal",
         "sqlite3", "_sqlite3", "tables")
    )
    write_flags = posix.O_WRONLY | posix.O_RDWR | posix.O_CREAT | posix.O_TRUNC | posix.O_APPEND

    def hook(
        event, args,
        _blocked=blocked_prefixes, _imports=blocked_imports, _reads=tuple(read_prefixes),
        _write_flags=write_flags, _getcwd=posix.getcwd, _fsdecode=os.fsdecode,
        _str=str, _bytes=bytes, _int=int, _isinstance=isinstance, _error=PermissionError,
    ):
        if event.startswith(_blocked):
            raise _error(f"'{event}' is not allowed in the sandbox")
        if event == "import" and args[0].partition(".")[0] in _imports:
            raise _error(f"import of '{args[0]}' is not allowed in the sandbox")
        if event == "open":
            path, mode, flags = args
            if mode is not None and ("w" in mode or "a" in mode or "x" in mode or "+" in mode):
                raise _error("writing files is not allowed in the sandbox")
            if _isinstance(flags, _int) and flags & _write_flags:
                raise _error("writing files is not allowed in the sandbox")
            if _isinstance(path, (_str, _bytes)):
                text = path if _isinstance(path, _str) else _fsdecode(path)
                if not text.startswith("/"):
                    text = _getcwd() + "/" + text
                parts = []
                for part in text.split("/"):
                    if part == "..":
                        if parts:
                            parts.pop()
                    elif part and part != ".":
                        parts.append(part)
                normal = "/" + "/".join(parts)
                if not normal.startswith(_reads):
                    raise _error(f"reading '{normal}' is not allowed in the sandbox")

    return hook


def python_read_prefixes(input_dir):
    prefixes = {input_dir.rstrip("/") + "/", "/usr/share/zoneinfo/", "/usr/share/zoneinfo",
                "/dev/null", "/dev/urandom"}
    for entry in sys.path:
        if entry.startswith("/"):
            prefixes.add(entry.rstrip("/") + "/")
    for root in (sys.prefix, sys.base_prefix, sys.exec_prefix):
        prefixes.add(root.rstrip("/") + "/lib/")
    return sorted(prefixes)


def run_job(job, np, pd, sandbox_seccomp, preloaded=None):
    df = preloaded if preloaded is not None else read_input(job["input_path"], np, pd)
    source = job["code"]
    source_lines = source.splitlines()
    code = compile(source, USER_FILENAME, "exec", dont_inherit=True)
    DataFrame = pd.DataFrame
    max_rows = job["max_rows"]
    stdout, stderr = sys.stdout, sys.stderr
    hook = make_audit_hook(python_read_prefixes(os.path.dirname(job["input_path"])))
    namespace = {"__name__": "user_code", "__builtins__": curated_builtins(job["allowed_imports"], frozenset(job["forbidden_builtins"]))}

    limit_cpu_from_now(job["timeout_seconds"])
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sandbox_seccomp.install_job_filter()
    sys.addaudithook(hook)

    def finish(message, body=()):
        for stream in (stdout, stderr):
            try:
                stream.flush()
            except Exception:
                pass
        send(message, body)

    try:
        exec(code, namespace)
        entry = namespace.get(job["entry_point"])
        if not callable(entry):
            return finish({"status": "error", "kind": "exception",
                           "message": f"the code does not define a function named '{job['entry_point']}'"})
        result = entry(df)
    except MemoryError:
        return finish({"status": "error", "kind": "memory"})
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are the user's errors too
        return finish({"status": "error", "kind": "exception", "message": describe_exception(exc, source_lines)})

    if not isinstance(result, DataFrame):
        name = "None" if result is None else type(result).__name__
        return finish({"status": "error", "kind": "type", "type": name})
    if len(result) > max_rows:
        return finish({"status": "error", "kind": "rows", "rows": len(result)})
    if result.shape[1] == 0:
        return finish({"status": "error", "kind": "no_columns"})
    try:
        columns, body, warnings = encode_output(result, np, pd)
    except MemoryError:
        return finish({"status": "error", "kind": "memory"})
    except OutputError as exc:
        return finish({"status": "error", "kind": "output", "message": str(exc)[:ERROR_MESSAGE_MAX_CHARS]})
    except Exception as exc:
        message = f"the returned DataFrame could not be converted: {type(exc).__name__}: {exc}"
        return finish({"status": "error", "kind": "output", "message": message[:ERROR_MESSAGE_MAX_CHARS]})
    finish({"status": "ok", "rows": len(result), "columns": columns, "warnings": warnings}, body)


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
        run_job(job, np, pd, sandbox_seccomp, preloaded)
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
