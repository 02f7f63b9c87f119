"""One `transform(df)` job: guards on, user code run, its outcome sent back as a result.

The job (fd 0, from src/sandbox/runner/runner-process.ts) is a JSON object: code,
input_path, max_rows, timeout_seconds, entry_point, check_function, allowed_imports,
forbidden_builtins and error_message_max_chars (the server's cap, so both sides cut
messages alike). The result header is {"status": "ok"|"error", "kind"?, ..., "check":
true|false|null}; src/sandbox/runner/runner-result.ts reads it.

Checks (api.md "Checks"): when the module defines a callable `check_function` at top
level, it is called as check(df, out) once `out` (what transform returned) is encoded,
so nothing check does can change the output. `df` is a deep copy of the input taken
before transform runs, so check sees the input as transform received it even when
transform changed its `df` in place. The copy is taken only for modules that define a
check; it duplicates numeric buffers and the object columns' pointers (text values are
shared, being immutable), within the same memory and CPU limits as the rest of the job.
"""

import os
import sys

from frame_io import OutputError, encode_output, read_input
from guards import curated_builtins, make_audit_hook, python_read_prefixes
from sandbox_limits import limit_cpu_from_now

USER_FILENAME = "<your code>"


def describe_exception(exc, source_lines, max_chars):
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
    return message[:max_chars]


def user_line(exc):
    """The line of the user's code where `exc` was raised (the innermost one), or None."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == USER_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def describe_check_failure(exc, source_lines, max_chars):
    """'check failed: <message> (line N)'. An assert's own message, else its source line;
    any other exception as 'Type: message'."""
    line = user_line(exc)
    try:
        text = str(exc)
    except Exception:
        text = "<unprintable message>"
    if isinstance(exc, AssertionError):
        if not text:
            snippet = source_lines[line - 1].strip() if line and 0 < line <= len(source_lines) else ""
            text = snippet or "AssertionError"
    else:
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    suffix = f" (line {line})" if line is not None else ""
    # The line number survives a long message being cut.
    return ("check failed: " + text)[: max(0, max_chars - len(suffix))] + suffix


def run_job(job, np, pd, sandbox_seccomp, send, preloaded=None):
    df = preloaded if preloaded is not None else read_input(job["input_path"], np, pd)
    source = job["code"]
    source_lines = source.splitlines()
    code = compile(source, USER_FILENAME, "exec", dont_inherit=True)
    DataFrame = pd.DataFrame
    max_rows = job["max_rows"]
    max_chars = job["error_message_max_chars"]
    stdout, stderr = sys.stdout, sys.stderr
    hook = make_audit_hook(python_read_prefixes(os.path.dirname(job["input_path"])))
    namespace = {"__name__": "user_code", "__builtins__": curated_builtins(job["allowed_imports"], frozenset(job["forbidden_builtins"]))}

    limit_cpu_from_now(job["timeout_seconds"])
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sandbox_seccomp.install_job_filter()
    sys.addaudithook(hook)

    # The header's "check": None (no check, or the job failed before it ran), False, True.
    check_passed = None

    def finish(message, body=()):
        for stream in (stdout, stderr):
            try:
                stream.flush()
            except Exception:
                pass
        send({**message, "check": check_passed}, body)

    try:
        exec(code, namespace)
        entry = namespace.get(job["entry_point"])
        if not callable(entry):
            return finish({"status": "error", "kind": "exception",
                           "message": f"the code does not define a function named '{job['entry_point']}'"})
        check = namespace.get(job["check_function"])
        pristine = df.copy(deep=True) if callable(check) else None
        result = entry(df)
    except MemoryError:
        return finish({"status": "error", "kind": "memory"})
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are the user's errors too
        return finish({"status": "error", "kind": "exception", "message": describe_exception(exc, source_lines, max_chars)})

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
        return finish({"status": "error", "kind": "output", "message": str(exc)[:max_chars]})
    except Exception as exc:
        message = f"the returned DataFrame could not be converted: {type(exc).__name__}: {exc}"
        return finish({"status": "error", "kind": "output", "message": message[:max_chars]})
    rows = len(result)  # before check, which may change `result` (the encoded output stays)
    if pristine is not None:
        check_passed = False
        try:
            check(pristine, result)
        except MemoryError:
            return finish({"status": "error", "kind": "memory"})
        except BaseException as exc:
            return finish({"status": "error", "kind": "check", "message": describe_check_failure(exc, source_lines, max_chars)})
        check_passed = True
    finish({"status": "ok", "rows": rows, "columns": columns, "warnings": warnings}, body)
