"""Guards installed in the runner just before user code runs (see runner.py for the order):
curated builtins with an import allowlist, and a stateless audit hook that refuses process
creation, sockets, writes and reads outside the input and the interpreter's own files.
"""

import os
import sys


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
