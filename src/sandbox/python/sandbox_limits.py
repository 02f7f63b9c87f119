"""Resource limits every sandboxed Python applies first, before it imports anything else.

argv[1] of runner.py and checker.py is a JSON object with memory_bytes, cpu_seconds,
file_bytes, open_files and processes (see limitsArgument in src/sandbox/runner/runner-process.ts).
"""

import resource


def apply_limits(limits):
    def both(kind, value):
        resource.setrlimit(kind, (value, value))

    both(resource.RLIMIT_AS, limits["memory_bytes"])
    both(resource.RLIMIT_FSIZE, limits["file_bytes"])
    both(resource.RLIMIT_NOFILE, limits["open_files"])
    both(resource.RLIMIT_NPROC, limits["processes"])
    both(resource.RLIMIT_CORE, 0)
    # The soft limit sends SIGXCPU, the hard one SIGKILL.
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"] + 1))


def limit_cpu_from_now(seconds):
    """CPU already spent (importing pandas) is not the job's: count `seconds` from here."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    # A hard limit can only be lowered (no capabilities): stay within the start-up one.
    soft = min(int(usage.ru_utime + usage.ru_stime) + 1 + seconds, hard - 1)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
